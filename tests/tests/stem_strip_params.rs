//! Every Stem Strip parameter, through the built CLAP bundle, moves the output the way its name
//! says, measured on sines and noise.

use shared_dsp::signals::sine;
use stemwise_tests::bundles::STEM_STRIP_ID;
use stemwise_tests::checks::{delayed, first_bit_difference, pink, render, Channels};
use stemwise_tests::params::{param_named, ParamSpec};
use stemwise_tests::PluginUnderTest;

/// Sample rate of these checks, Hz.
const RATE_HZ: f64 = 48_000.0;
/// Length of every test signal: 2 s (levels are read over the second half).
const NUM_FRAMES: usize = 96_000;

/// The strip's parameters as the host sees them.
fn params() -> Vec<ParamSpec> {
    PluginUnderTest::open_inactive(STEM_STRIP_ID, 2)
        .unwrap()
        .params()
        .to_vec()
}

/// `(id, CLAP value)` for the parameter `name` set to the plain value `value`, parsed by the
/// plugin from text as a host does for a typed-in value (nice-plug reports float parameters
/// normalised to 0…1, enums and switches as indices).
fn set(params: &[ParamSpec], name: &str, value: f64) -> (u32, f64) {
    let spec = param_named(params, name).unwrap_or_else(|| panic!("no parameter {name}"));
    if spec.is_stepped {
        assert!((spec.min..=spec.max).contains(&value), "{name} = {value}");
        return (spec.id, value);
    }
    let mut plugin = PluginUnderTest::open_inactive(STEM_STRIP_ID, 2).unwrap();
    let clap_value = plugin.value_from_text(spec.id, &value.to_string()).unwrap();
    (spec.id, clap_value)
}

/// A stereo sine at `freq_hz` with peak `peak_dbfs` (left and right identical).
fn stereo_sine(freq_hz: f64, peak_dbfs: f64) -> Channels {
    let amplitude = 10f64.powf(peak_dbfs / 20.0) as f32;
    let x = sine(freq_hz, amplitude, RATE_HZ, NUM_FRAMES, 0.0);
    vec![x.clone(), x]
}

/// RMS level of one channel over the second half, dBFS.
fn level_db(channel: &[f32]) -> f64 {
    let tail = &channel[channel.len() / 2..];
    let mean_square = tail.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / tail.len() as f64;
    10.0 * mean_square.max(1e-30).log10()
}

/// Output level (left channel) of `input` through the strip with `setting`, minus the input
/// level, dB.
fn gain_db(setting: &[(u32, f64)], input: &Channels) -> f64 {
    let out = render(STEM_STRIP_ID, RATE_HZ, 512, setting, input, &[512], &[]).unwrap();
    level_db(&out[0]) - level_db(&input[0])
}

#[test]
fn trim_and_output_gains_are_exact_in_db() {
    let p = params();
    let x = stereo_sine(1000.0, -20.0);
    for (name, db) in [
        ("Trim", 6.02),
        ("Trim", -3.0),
        ("Output", 2.5),
        ("Output", -12.0),
    ] {
        let measured = gain_db(&[set(&p, name, db)], &x);
        println!("{name} {db:+} dB: measured {measured:+.4} dB");
        assert!((measured - db).abs() < 0.01, "{name} {db}: {measured}");
    }
}

#[test]
fn polarity_inverts_only_its_channel() {
    let p = params();
    let x = pink(3, -6.0, 2, NUM_FRAMES);
    let latency = PluginUnderTest::open(STEM_STRIP_ID, RATE_HZ, 512, 2)
        .unwrap()
        .latency()
        .unwrap() as usize;
    let out = render(
        STEM_STRIP_ID,
        RATE_HZ,
        512,
        &[set(&p, "Polarity L", 1.0)],
        &x,
        &[512],
        &[],
    )
    .unwrap();
    let expected = delayed(&x, latency);
    let settled = RATE_HZ as usize / 10;
    for i in settled..NUM_FRAMES {
        assert_eq!(out[0][i], -expected[0][i], "left at {i}");
        assert_eq!(out[1][i], expected[1][i], "right at {i}");
    }
}

#[test]
fn eq_bands_boost_and_cut_where_they_are_set() {
    let p = params();
    // (group, frequency param value, gain, test tone, expected gain at the tone within 0.1 dB)
    let cases = [
        ("Low Shelf", 100.0, 2.0, 25.0, 2.0),
        ("Bell 1", 400.0, 3.0, 400.0, 3.0),
        ("Bell 2", 3000.0, -2.5, 3000.0, -2.5),
        ("High Shelf", 8000.0, 2.0, 18_000.0, 2.0),
    ];
    for (group, freq_hz, gain, tone_hz, expected) in cases {
        let setting = [
            set(&p, &format!("{group} Frequency"), freq_hz),
            set(&p, &format!("{group} Gain"), gain),
        ];
        let at_tone = gain_db(&setting, &stereo_sine(tone_hz, -12.0));
        let far_hz = if tone_hz < 1000.0 { 15_000.0 } else { 40.0 };
        let far = gain_db(&setting, &stereo_sine(far_hz, -12.0));
        println!(
            "{group} {gain:+} dB: {at_tone:+.3} dB at {tone_hz} Hz, {far:+.3} dB at {far_hz} Hz"
        );
        assert!((at_tone - expected).abs() < 0.1, "{group}: {at_tone}");
        assert!(far.abs() < 0.1, "{group} leaks to {far_hz} Hz: {far}");
    }
}

#[test]
fn bell_q_sets_its_width() {
    let p = params();
    let octave_up = |q: f64| {
        let setting = [
            set(&p, "Bell 1 Frequency", 1000.0),
            set(&p, "Bell 1 Gain", 3.0),
            set(&p, "Bell 1 Q", q),
        ];
        gain_db(&setting, &stereo_sine(2000.0, -12.0))
    };
    let (wide, narrow) = (octave_up(0.5), octave_up(2.0));
    println!("+3 dB bell at 1 kHz, one octave up: Q 0.5 {wide:+.3} dB, Q 2 {narrow:+.3} dB");
    assert!(wide > 1.5 && narrow < 0.8, "wide {wide}, narrow {narrow}");
}

#[test]
fn high_pass_removes_rumble_at_its_slope() {
    let p = params();
    let measure = |slope: f64, tone_hz: f64| {
        let setting = [
            set(&p, "High-Pass", 1.0),
            set(&p, "High-Pass Frequency", 80.0),
            set(&p, "High-Pass Slope", slope),
        ];
        gain_db(&setting, &stereo_sine(tone_hz, -12.0))
    };
    let (at_40_12, at_40_24, at_1k) =
        (measure(0.0, 40.0), measure(1.0, 40.0), measure(1.0, 1000.0));
    println!("80 Hz high-pass at 40 Hz: 12 dB/oct {at_40_12:.2} dB, 24 dB/oct {at_40_24:.2} dB");
    // Butterworth one octave below the corner: −12.3 dB (2nd order), −24.1 dB (4th order).
    assert!((at_40_12 + 12.3).abs() < 0.3, "{at_40_12}");
    assert!((at_40_24 + 24.1).abs() < 0.3, "{at_40_24}");
    assert!(at_1k.abs() < 0.05, "{at_1k}");
}

#[test]
fn linear_phase_adds_latency_but_keeps_the_magnitude() {
    let p = params();
    let bell = [
        set(&p, "Bell 1 Frequency", 1000.0),
        set(&p, "Bell 1 Gain", 3.0),
    ];
    let mut plugin = PluginUnderTest::open_inactive(STEM_STRIP_ID, 2).unwrap();
    plugin.set_params(&bell).unwrap();
    plugin.set_params(&[set(&p, "EQ Phase", 1.0)]).unwrap();
    plugin.activate(RATE_HZ, 512).unwrap();
    let linear_latency = plugin.latency().unwrap();
    let minimum_latency = PluginUnderTest::open(STEM_STRIP_ID, RATE_HZ, 512, 2)
        .unwrap()
        .latency()
        .unwrap();
    println!("latency: minimum phase {minimum_latency}, linear phase {linear_latency} samples");
    assert!(linear_latency > minimum_latency);
    let mut setting = bell.to_vec();
    setting.push(set(&p, "EQ Phase", 1.0));
    let at_1k = gain_db(&setting, &stereo_sine(1000.0, -12.0));
    assert!((at_1k - 3.0).abs() < 0.1, "{at_1k}");
}

#[test]
fn compressor_reduces_loud_signals_by_its_ratio_and_leaves_quiet_ones() {
    let p = params();
    let comp = |extra: &[(u32, f64)]| {
        let mut s = vec![
            set(&p, "Compressor", 1.0),
            set(&p, "Threshold", -30.0),
            set(&p, "Knee", 0.0),
            set(&p, "Detector", 0.0),
        ];
        s.extend_from_slice(extra);
        s
    };
    let loud = stereo_sine(1000.0, -10.0);
    let ratio_2 = gain_db(&comp(&[set(&p, "Ratio", 2.0)]), &loud);
    let ratio_4 = gain_db(&comp(&[set(&p, "Ratio", 4.0)]), &loud);
    // Peak detector on a −10 dBFS sine, 20 dB over: the static curve gives −10 dB at ratio 2
    // and −15 dB at ratio 4; the release between the sine's peaks lets some of it back (the
    // static curve itself is proven in shared-dsp's compressor tests).
    println!("−10 dBFS sine, threshold −30: ratio 2 {ratio_2:+.2} dB, ratio 4 {ratio_4:+.2} dB");
    assert!((-10.5..-7.5).contains(&ratio_2), "{ratio_2}");
    assert!((-15.5..-12.0).contains(&ratio_4), "{ratio_4}");
    assert!(ratio_4 < ratio_2 - 3.0);
    let quiet = gain_db(&comp(&[set(&p, "Ratio", 4.0)]), &stereo_sine(1000.0, -50.0));
    assert!(quiet.abs() < 0.01, "quiet signal changed by {quiet}");
    let makeup = gain_db(
        &comp(&[set(&p, "Makeup", 6.0)]),
        &stereo_sine(1000.0, -50.0),
    );
    assert!((makeup - 6.0).abs() < 0.01, "makeup {makeup}");
    let parallel = gain_db(
        &comp(&[set(&p, "Ratio", 4.0), set(&p, "Compressor Mix", 50.0)]),
        &loud,
    );
    assert!(
        parallel > ratio_4 + 3.0 && parallel < 0.0,
        "mix 50 %: {parallel}"
    );
    let knee = gain_db(
        &comp(&[set(&p, "Ratio", 4.0), set(&p, "Knee", 12.0)]),
        &stereo_sine(1000.0, -30.0),
    );
    assert!(
        knee < -0.3,
        "a 12 dB knee compresses at the threshold: {knee}"
    );
}

#[test]
fn compressor_timing_detector_link_and_sidechain_filter_act() {
    let p = params();
    let base = |extra: &[(u32, f64)]| {
        let mut s = vec![
            set(&p, "Compressor", 1.0),
            set(&p, "Threshold", -30.0),
            set(&p, "Ratio", 4.0),
        ];
        s.extend_from_slice(extra);
        s
    };
    let loud = stereo_sine(1000.0, -10.0);
    let peak = gain_db(&base(&[set(&p, "Detector", 0.0)]), &loud);
    let rms = gain_db(&base(&[set(&p, "Detector", 1.0)]), &loud);
    println!("detector: peak {peak:+.2} dB, RMS {rms:+.2} dB");
    // RMS reads a sine 3 dB below its peak, so it compresses less.
    assert!(rms > peak + 0.3, "RMS {rms} vs peak {peak}");
    // Sidechain high-pass at 300 Hz hardly hears a 50 Hz tone.
    let bass = stereo_sine(50.0, -10.0);
    let full = gain_db(&base(&[set(&p, "Sidechain High-Pass", 20.0)]), &bass);
    let filtered = gain_db(&base(&[set(&p, "Sidechain High-Pass", 300.0)]), &bass);
    println!("50 Hz tone: sidechain HPF 20 Hz {full:+.2} dB, 300 Hz {filtered:+.2} dB");
    assert!(filtered > full + 6.0);
    // A loud left channel: linked, the quiet right channel is reduced with it; unlinked, not.
    let mut one_sided = stereo_sine(1000.0, -10.0);
    one_sided[1] = sine(1000.0, 0.01, RATE_HZ, NUM_FRAMES, 0.0);
    let right = |link: f64| {
        let out = render(
            STEM_STRIP_ID,
            RATE_HZ,
            512,
            &base(&[set(&p, "Stereo Link", link * 100.0)]),
            &one_sided,
            &[512],
            &[],
        )
        .unwrap();
        level_db(&out[1]) - level_db(&one_sided[1])
    };
    let (linked, unlinked) = (right(1.0), right(0.0));
    println!("quiet right channel: link 100 % {linked:+.2} dB, 0 % {unlinked:+.2} dB");
    assert!(linked < -10.0 && unlinked.abs() < 0.01);
    // Attack and release: the reduction 2 ms after a burst starts, and 50 ms after it ends.
    let mut burst = vec![vec![0.001f32; NUM_FRAMES]; 2];
    for channel in &mut burst {
        for (i, s) in channel.iter_mut().enumerate().take(72_000).skip(24_000) {
            *s = if i % 2 == 0 { 0.3 } else { -0.3 };
        }
    }
    let reduction_at = |attack_ms: f64, release_ms: f64, at: usize| {
        let setting = base(&[
            set(&p, "Attack", attack_ms),
            set(&p, "Release", release_ms),
            set(&p, "Detector", 0.0),
        ]);
        let out = render(STEM_STRIP_ID, RATE_HZ, 512, &setting, &burst, &[512], &[]).unwrap();
        20.0 * (f64::from(out[0][at].abs()) / f64::from(burst[0][at].abs())).log10()
    };
    let after_2_ms = 24_000 + 96;
    let fast = reduction_at(0.5, 100.0, after_2_ms);
    let slow = reduction_at(50.0, 100.0, after_2_ms);
    println!("2 ms into a burst: attack 0.5 ms {fast:+.2} dB, 50 ms {slow:+.2} dB");
    assert!(fast < slow - 3.0);
    let after_50_ms = 72_000 + 2400;
    let quick = reduction_at(1.0, 20.0, after_50_ms);
    let long = reduction_at(1.0, 800.0, after_50_ms);
    println!("50 ms after it: release 20 ms {quick:+.2} dB, 800 ms {long:+.2} dB");
    assert!(long < quick - 3.0);
}

#[test]
fn multiband_compresses_only_the_band_that_is_over() {
    let p = params();
    let setting = [
        set(&p, "Compressor", 1.0),
        set(&p, "Compressor Mode", 1.0),
        set(&p, "Crossover Low", 200.0),
        set(&p, "Crossover High", 3000.0),
        set(&p, "Low Band Threshold", 0.0),
        set(&p, "Mid Band Threshold", -40.0),
        set(&p, "Mid Band Ratio", 4.0),
        set(&p, "High Band Threshold", 0.0),
    ];
    let mid = gain_db(&setting, &stereo_sine(800.0, -12.0));
    let low = gain_db(&setting, &stereo_sine(50.0, -12.0));
    let high = gain_db(&setting, &stereo_sine(12_000.0, -12.0));
    println!("3-band, mid over threshold: 50 Hz {low:+.3}, 800 Hz {mid:+.2}, 12 kHz {high:+.3} dB");
    assert!(mid < -10.0);
    assert!(low.abs() < 0.1 && high.abs() < 0.1);
    // No band over its threshold: the bands sum back flat.
    let flat = [set(&p, "Compressor", 1.0), set(&p, "Compressor Mode", 1.0)];
    for tone_hz in [30.0, 150.0, 1000.0, 2500.0, 15_000.0] {
        let gain = gain_db(&flat, &stereo_sine(tone_hz, -50.0));
        assert!(gain.abs() < 0.01, "{tone_hz} Hz: {gain}");
    }
}

#[test]
fn saturation_adds_harmonics_scaled_by_drive_and_mix() {
    let p = params();
    let x = stereo_sine(100.0, -6.0);
    let harmonics = |drive_db: f64, mix: f64| {
        let setting = [
            set(&p, "Saturation", 1.0),
            set(&p, "Drive", drive_db),
            set(&p, "Saturation Mix", mix * 100.0),
            set(&p, "Tone", 20_000.0),
        ];
        let out = render(STEM_STRIP_ID, RATE_HZ, 512, &setting, &x, &[512], &[]).unwrap();
        harmonic_level_db(&out[0], 100.0)
    };
    let light = harmonics(6.0, 0.2);
    let heavy = harmonics(18.0, 0.2);
    let full = harmonics(18.0, 1.0);
    println!("harmonics vs fundamental: drive 6 dB/20 % {light:.1} dB, 18 dB/20 % {heavy:.1}, 18 dB/100 % {full:.1}");
    assert!(light < -30.0 && light > -80.0);
    assert!(heavy > light + 3.0);
    assert!(full > heavy + 6.0);
}

/// Level of harmonics 2–10 of `freq_hz` relative to the fundamental, dB (least-squares fit of
/// each harmonic over the second half).
fn harmonic_level_db(channel: &[f32], freq_hz: f64) -> f64 {
    let tail = &channel[channel.len() / 2..];
    let power = |k: f64| {
        let w = std::f64::consts::TAU * k * freq_hz / RATE_HZ;
        let (mut c, mut s) = (0.0, 0.0);
        for (n, &x) in tail.iter().enumerate() {
            c += f64::from(x) * (w * n as f64).cos();
            s += f64::from(x) * (w * n as f64).sin();
        }
        (c * c + s * s) / (tail.len() as f64).powi(2)
    };
    let fundamental = power(1.0);
    let harmonics: f64 = (2..=10).map(|k| power(f64::from(k))).sum();
    10.0 * (harmonics / fundamental).log10()
}

#[test]
fn role_changes_nothing_audible_on_its_own() {
    let p = params();
    let x = pink(8, -6.0, 2, 24_000);
    let reference = render(STEM_STRIP_ID, RATE_HZ, 512, &[], &x, &[512], &[]).unwrap();
    let role = param_named(&p, "Role").unwrap();
    for value in (role.min as i64)..=(role.max as i64) {
        let out = render(
            STEM_STRIP_ID,
            RATE_HZ,
            512,
            &[(role.id, value as f64)],
            &x,
            &[512],
            &[],
        )
        .unwrap();
        assert_eq!(first_bit_difference(&out, &reference), None, "role {value}");
    }
}

#[test]
fn remote_control_pages_cover_trim_eq_compressor_and_saturation() {
    let mut plugin = PluginUnderTest::open_inactive(STEM_STRIP_ID, 2).unwrap();
    let params = plugin.params().to_vec();
    let pages = plugin.remote_control_pages();
    let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["Trim & EQ", "Compressor", "Saturation & Output"]);
    for (name, ids) in &pages {
        assert!(!ids.is_empty() && ids.len() <= 8, "{name}");
        for id in ids {
            assert!(
                params.iter().any(|p| p.id == *id),
                "{name}: unknown id {id}"
            );
        }
    }
}
