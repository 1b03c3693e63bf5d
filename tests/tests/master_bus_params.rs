//! Every Master Bus parameter, through the built CLAP bundle, moves the output the way its name
//! says, measured on sines, noise and bursts. Values are set by typed text, as a host does.

use shared_dsp::signals::sine;
use stemwise_tests::bundles::MASTER_BUS_ID;
use stemwise_tests::checks::{delayed, first_bit_difference, pink, Channels};
use stemwise_tests::PluginUnderTest;

/// Sample rate of these checks, Hz.
const RATE_HZ: f64 = 48_000.0;
/// Length of the steady test signals: 2 s (levels are read over the second half).
const NUM_FRAMES: usize = 96_000;
/// Host block size.
const BLOCK: usize = 512;

/// Output and latency of `input` through a Master Bus with the named plain `setting`.
fn render(setting: &[(&str, f64)], input: &Channels) -> (Channels, usize) {
    let mut plugin = PluginUnderTest::open_typed(MASTER_BUS_ID, 2, setting).unwrap();
    plugin.activate(RATE_HZ, BLOCK).unwrap();
    let latency = plugin.latency().unwrap() as usize;
    let mut out = input.to_vec();
    plugin.process(&mut out, &[BLOCK], &[]).unwrap();
    (out, latency)
}

/// A stereo sine at `freq_hz` with peak `peak_dbfs`.
fn stereo_sine(freq_hz: f64, peak_dbfs: f64) -> Channels {
    let amplitude = 10f64.powf(peak_dbfs / 20.0) as f32;
    let x = sine(freq_hz, amplitude, RATE_HZ, NUM_FRAMES, 0.0);
    vec![x.clone(), x]
}

/// RMS level over `range` of one channel, dBFS.
fn rms_db(channel: &[f32]) -> f64 {
    let mean_square =
        channel.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / channel.len() as f64;
    10.0 * mean_square.max(1e-30).log10()
}

/// Output minus input level over the second half (left channel), dB.
fn gain_db(setting: &[(&str, f64)], input: &Channels) -> f64 {
    let (out, _) = render(setting, input);
    let half = NUM_FRAMES / 2;
    rms_db(&out[0][half..]) - rms_db(&input[0][half..])
}

#[test]
fn input_and_output_gains_are_exact_in_db() {
    let x = stereo_sine(1000.0, -20.0);
    for (name, db) in [
        ("Input Gain", 6.02),
        ("Input Gain", -3.0),
        ("Output Gain", 2.5),
        ("Output Gain", -12.0),
    ] {
        let measured = gain_db(&[(name, db)], &x);
        println!("{name} {db:+} dB: measured {measured:+.4} dB");
        assert!((measured - db).abs() < 0.01, "{name} {db}: {measured}");
    }
}

#[test]
fn eq_bands_boost_and_cut_where_they_are_set() {
    // (band, its frequency, gain, test tone, expected gain at the tone)
    let cases = [
        ("Low Shelf", 100.0, 2.0, 25.0, 2.0),
        ("Bell 1", 250.0, -1.5, 250.0, -1.5),
        ("Bell 2", 1000.0, 3.0, 1000.0, 3.0),
        ("Bell 3", 4000.0, -2.5, 4000.0, -2.5),
        ("High Shelf", 10_000.0, 1.5, 19_000.0, 1.5),
    ];
    for (band, freq_hz, gain, tone_hz, expected) in cases {
        let setting = [
            (format!("{band} Frequency"), freq_hz),
            (format!("{band} Gain"), gain),
        ];
        let setting: Vec<(&str, f64)> = setting.iter().map(|(n, v)| (n.as_str(), *v)).collect();
        let at_tone = gain_db(&setting, &stereo_sine(tone_hz, -12.0));
        let far_hz = if tone_hz < 1000.0 { 12_000.0 } else { 40.0 };
        let far = gain_db(&setting, &stereo_sine(far_hz, -12.0));
        println!(
            "{band} {gain:+} dB: {at_tone:+.3} dB at {tone_hz} Hz, {far:+.3} dB at {far_hz} Hz"
        );
        assert!((at_tone - expected).abs() < 0.1, "{band}: {at_tone}");
        assert!(far.abs() < 0.3, "{band} leaks {far} dB at {far_hz} Hz");
    }
}

#[test]
fn q_sets_the_bell_width() {
    let half_octave_up = 1000.0 * 2f64.sqrt();
    let narrow = [("Bell 2 Gain", 3.0), ("Bell 2 Q", 4.0)];
    let wide = [("Bell 2 Gain", 3.0), ("Bell 2 Q", 0.5)];
    let tone = stereo_sine(half_octave_up, -12.0);
    let (narrow_db, wide_db) = (gain_db(&narrow, &tone), gain_db(&wide, &tone));
    println!("half an octave above a +3 dB bell: Q 4 {narrow_db:+.2} dB, Q 0.5 {wide_db:+.2} dB");
    assert!(narrow_db < 1.0 && wide_db > 2.0, "{narrow_db} {wide_db}");
}

#[test]
fn pass_filters_cut_outside_their_corner_and_slope_steepens() {
    let low = stereo_sine(25.0, -12.0);
    let high = stereo_sine(21_000.0, -12.0);
    let hp_12 = gain_db(&[("High-Pass", 1.0), ("High-Pass Frequency", 50.0)], &low);
    let hp_48 = gain_db(
        &[
            ("High-Pass", 1.0),
            ("High-Pass Frequency", 50.0),
            ("High-Pass Slope", 2.0),
        ],
        &low,
    );
    let lp = gain_db(
        &[("Low-Pass", 1.0), ("Low-Pass Frequency", 10_000.0)],
        &high,
    );
    println!("HP 50 Hz at 25 Hz: 12 dB/oct {hp_12:+.1} dB, 48 dB/oct {hp_48:+.1} dB; LP 10 kHz at 21 kHz {lp:+.1} dB");
    assert!((-14.0..-10.0).contains(&hp_12), "{hp_12}");
    assert!(hp_48 < -40.0, "{hp_48}");
    assert!(lp < -10.0, "{lp}");
}

#[test]
fn linear_phase_reports_its_latency_and_keeps_the_response() {
    let tone = stereo_sine(1000.0, -12.0);
    let setting = [("Bell 2 Gain", 3.0), ("EQ Phase", 1.0)];
    let (out, latency) = render(&setting, &tone);
    let (_, minimum_latency) = render(&[], &tone);
    let half = NUM_FRAMES / 2;
    let measured = rms_db(&out[0][half..]) - rms_db(&tone[0][half..]);
    println!("linear phase: latency {latency} (minimum phase {minimum_latency}), +3 dB bell reads {measured:+.3} dB");
    assert!(latency > minimum_latency + 1000, "{latency}");
    assert!((measured - 3.0).abs() < 0.1, "{measured}");
}

#[test]
fn glue_compressor_compresses_by_its_ratio_and_mix_and_makeup_act() {
    let loud = stereo_sine(1000.0, -6.0);
    let on = [
        ("Glue Compressor", 1.0),
        ("Glue Threshold", -26.0),
        ("Glue Knee", 0.0),
        ("Glue Ratio", 4.0),
    ];
    let compressed = gain_db(&on, &loud);
    // A −6 dBFS sine is 20 dB over the threshold: 4:1 → −15 dB at the detector's peaks;
    // the peak detector's release between the sine's peaks gives back up to 2 dB.
    let gentle = gain_db(&[on[0], on[1], on[2], ("Glue Ratio", 1.5)], &loud);
    println!("glue 20 dB over: 4:1 {compressed:+.2} dB (static −15), 1.5:1 {gentle:+.2} dB (static −6.67)");
    assert!((-15.5..-13.0).contains(&compressed), "{compressed}");
    assert!((-7.0..-5.5).contains(&gentle), "1.5:1 {gentle}");
    let half_mix = gain_db(&[on[0], on[1], on[2], on[3], ("Glue Mix", 50.0)], &loud);
    let expected_half = 20.0 * (0.5 + 0.5 * 10f64.powf(-15.0 / 20.0)).log10();
    assert!(
        (half_mix - expected_half).abs() < 1.0,
        "mix 50 %: {half_mix}"
    );
    let makeup = gain_db(&[on[0], on[1], on[2], on[3], ("Glue Makeup", 3.0)], &loud);
    assert!((makeup - compressed - 3.0).abs() < 0.05, "makeup {makeup}");
    let off = gain_db(&[on[1], on[2], on[3]], &loud);
    assert!(off.abs() < 1e-3, "off {off}");
}

#[test]
fn glue_auto_makeup_restores_the_loudness() {
    let x = pink(8, -3.0, 2, NUM_FRAMES * 2);
    let mut setting = vec![
        ("Glue Compressor", 1.0),
        ("Glue Threshold", -30.0),
        ("Glue Ratio", 3.0),
    ];
    let (plain, _) = render(&setting, &x);
    setting.push(("Glue Auto Makeup", 1.0));
    let (auto, _) = render(&setting, &x);
    let tail = |c: &[f32]| rms_db(&c[c.len() / 2..]);
    let reduction = tail(&x[0]) - tail(&plain[0]);
    let left = tail(&x[0]) - tail(&auto[0]);
    println!("glue reduces {reduction:.2} dB; with auto makeup {left:.2} dB remain");
    assert!(reduction > 3.0 && left.abs() < 0.5, "{reduction} {left}");
}

#[test]
fn glue_attack_and_release_set_the_envelope_times() {
    // A burst 20 dB over the threshold: the reduction 5 ms after the onset grows with
    // a shorter attack; 150 ms after the burst the reduction left shrinks with a shorter
    // release.
    let onset = NUM_FRAMES / 4;
    let end = NUM_FRAMES / 2;
    let burst: Vec<f32> = sine(1000.0, 0.5, RATE_HZ, NUM_FRAMES, 0.0)
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if (onset..end).contains(&i) {
                *s
            } else {
                s * 0.05
            }
        })
        .collect();
    let x = vec![burst.clone(), burst];
    let window = |out: &Channels, at: usize| rms_db(&out[0][at..at + 480]);
    let reduction_at = |setting: &[(&str, f64)], at: usize| {
        let (out, latency) = render(setting, &x);
        window(&delayed(&x, latency), at + latency) - window(&out, at + latency)
    };
    let base = [
        ("Glue Compressor", 1.0),
        ("Glue Threshold", -30.0),
        ("Glue Ratio", 4.0),
    ];
    let fast = reduction_at(
        &[base[0], base[1], base[2], ("Glue Attack", 1.0)],
        onset + 240,
    );
    let slow = reduction_at(
        &[base[0], base[1], base[2], ("Glue Attack", 100.0)],
        onset + 240,
    );
    let quick = reduction_at(
        &[base[0], base[1], base[2], ("Glue Release", 50.0)],
        end + 7200,
    );
    let long = reduction_at(
        &[base[0], base[1], base[2], ("Glue Release", 1000.0)],
        end + 7200,
    );
    println!("attack 1 ms {fast:.1} dB vs 100 ms {slow:.1} dB at +5 ms; release 50 ms {quick:.1} dB vs 1000 ms {long:.1} dB at +150 ms");
    assert!(fast > slow + 3.0, "attack {fast} {slow}");
    assert!(long > quick + 3.0, "release {quick} {long}");
}

#[test]
fn glue_sidechain_high_pass_and_stereo_link_shape_the_detector() {
    let bass = stereo_sine(40.0, -6.0);
    let on = [
        ("Glue Compressor", 1.0),
        ("Glue Threshold", -26.0),
        ("Glue Ratio", 4.0),
    ];
    let full = gain_db(&on, &bass);
    let filtered = gain_db(
        &[on[0], on[1], on[2], ("Glue Sidechain High-Pass", 300.0)],
        &bass,
    );
    println!("40 Hz into the glue: {full:+.2} dB, with 300 Hz sidechain HPF {filtered:+.2} dB");
    assert!(filtered > full + 6.0, "{full} {filtered}");
    // Loud left, quiet right: only a linked compressor turns the right channel down.
    let loud = stereo_sine(1000.0, -6.0);
    let x = vec![loud[0].clone(), loud[1].iter().map(|s| s * 0.01).collect()];
    let right_gain = |link: f64| {
        let (out, _) = render(&[on[0], on[1], on[2], ("Glue Stereo Link", link)], &x);
        rms_db(&out[1][NUM_FRAMES / 2..]) - rms_db(&x[1][NUM_FRAMES / 2..])
    };
    let (linked, unlinked) = (right_gain(100.0), right_gain(0.0));
    println!("right channel: linked {linked:+.2} dB, unlinked {unlinked:+.2} dB");
    assert!(
        linked < -10.0 && unlinked.abs() < 0.1,
        "{linked} {unlinked}"
    );
}

#[test]
fn limiter_ceiling_presets_drive_and_release_act() {
    let x = pink(5, -3.0, 2, NUM_FRAMES);
    let peak_db = |out: &Channels| {
        let peak = out.iter().flatten().fold(0.0f32, |m, s| m.max(s.abs()));
        20.0 * f64::from(peak).log10()
    };
    for (preset, ceiling) in [(0.0, -1.0), (1.0, -0.5), (2.0, -2.0)] {
        let (out, _) = render(
            &[
                ("Limiter", 1.0),
                ("Ceiling Preset", preset),
                ("Limiter Drive", 12.0),
            ],
            &x,
        );
        let peak = peak_db(&out);
        println!("preset {preset}: sample peak {peak:.3} dBFS (ceiling {ceiling})");
        assert!(peak <= ceiling + 1e-3 && peak > ceiling - 0.5, "{peak}");
    }
    let (custom, _) = render(
        &[
            ("Limiter", 1.0),
            ("Ceiling Preset", 3.0),
            ("Ceiling", -4.0),
            ("Limiter Drive", 6.0),
        ],
        &x,
    );
    assert!(
        peak_db(&custom) <= -4.0 + 1e-3,
        "custom {}",
        peak_db(&custom)
    );
    // More drive: louder (and just as peak-safe).
    let level = |drive: f64| {
        let (out, _) = render(&[("Limiter", 1.0), ("Limiter Drive", drive)], &x);
        rms_db(&out[0][NUM_FRAMES / 2..])
    };
    let (soft, hard) = (level(0.0), level(12.0));
    println!("drive 0 dB: {soft:.2} dBFS RMS, 12 dB: {hard:.2} dBFS RMS");
    assert!(hard > soft + 1.0, "{soft} {hard}");
    // A short release recovers more of the level between peaks.
    let release = |ms: f64| {
        let (out, _) = render(
            &[
                ("Limiter", 1.0),
                ("Limiter Drive", 12.0),
                ("Limiter Auto Release", 0.0),
                ("Limiter Release", ms),
            ],
            &x,
        );
        rms_db(&out[0][NUM_FRAMES / 2..])
    };
    let (fast, slow) = (release(5.0), release(800.0));
    println!("release 5 ms: {fast:.2} dBFS RMS, 800 ms: {slow:.2} dBFS RMS");
    assert!(fast > slow + 1.0, "{fast} {slow}");
}

#[test]
fn lookahead_sets_the_reported_latency() {
    let x = stereo_sine(1000.0, -12.0);
    let (_, short) = render(&[("Lookahead", 1.0)], &x);
    let (_, long) = render(&[("Lookahead", 10.0)], &x);
    println!("latency: lookahead 1 ms {short}, 10 ms {long} samples");
    assert_eq!(long - short, 432, "9 ms at 48 kHz");
}

#[test]
fn equal_loudness_ab_plays_the_input_at_the_master_loudness() {
    let x = pink(9, -3.0, 2, NUM_FRAMES * 3);
    let limited = [("Limiter", 1.0), ("Limiter Drive", 10.0)];
    let (processed, latency) = render(&limited, &x);
    let (ab, _) = render(&[limited[0], limited[1], ("Equal-Loudness A/B", 1.0)], &x);
    let tail = |c: &[f32]| rms_db(&c[c.len() * 2 / 3..]);
    let dry = delayed(&x, latency);
    let master_db = tail(&processed[0]);
    let ab_db = tail(&ab[0]);
    println!(
        "master {master_db:.2} dBFS RMS, A/B {ab_db:.2}, input {:.2}",
        tail(&dry[0])
    );
    assert!((ab_db - master_db).abs() < 0.5, "{ab_db} vs {master_db}");
    // What the A/B plays is the input itself (gained), not the processed signal.
    let start = ab[0].len() * 2 / 3;
    let correlation = |a: &[f32], b: &[f32]| {
        let dot =
            |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| f64::from(p * q)).sum::<f64>();
        dot(a, b) / (dot(a, a) * dot(b, b)).sqrt()
    };
    let with_input = correlation(&ab[0][start..], &dry[0][start..]);
    let with_master = correlation(&ab[0][start..], &processed[0][start..]);
    println!("A/B correlation with the input {with_input:.6}, with the master {with_master:.4}");
    assert!(
        with_input > 0.9999 && with_master < with_input,
        "{with_input} {with_master}"
    );
}

#[test]
fn target_settings_change_no_audio() {
    let x = pink(2, -6.0, 2, NUM_FRAMES / 4);
    let (reference, _) = render(&[], &x);
    let (other, _) = render(
        &[
            ("Delivery Target", 10.0),
            ("Custom Target Loudness", -9.0),
            ("Custom Target True Peak", -3.0),
        ],
        &x,
    );
    assert_eq!(first_bit_difference(&reference, &other), None);
}

#[test]
fn remote_control_pages_cover_eq_glue_and_limiter() {
    let mut plugin = PluginUnderTest::open_inactive(MASTER_BUS_ID, 2).unwrap();
    let pages = plugin.remote_control_pages();
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["EQ", "Glue Compressor", "Limiter & Output"]);
    for (name, ids) in &pages {
        assert_eq!(ids.len(), 8, "{name}");
        for id in ids {
            assert!(plugin.params().iter().any(|p| p.id == *id), "{name}: {id}");
        }
    }
}
