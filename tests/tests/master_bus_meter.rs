//! The Master Bus is the last word on loudness and true peak, through the built CLAP bundle:
//! driven +12 dB into the −1 dBTP ceiling its output never reads above −1.000 dBTP at 16×,
//! and what its meter says (read from the saved state, as a host would) matches an offline
//! measurement of the rendered WAV file by shared-dsp's meter and by the `ebur128` crate.

use shared_dsp::loudness::LoudnessMeter;
use shared_dsp::signals::{pink_noise, sine, transient_train};
use shared_dsp::true_peak::{measure_true_peak_db, ORACLE_OVERSAMPLING};
use stemwise_cli::audio_file::{read_audio, write_wav, Audio, WavFormat};
use stemwise_cli::demo::stems::synthesize;
use stemwise_tests::bundles::MASTER_BUS_ID;
use stemwise_tests::checks::Channels;
use stemwise_tests::PluginUnderTest;

/// Output true peak may exceed the ceiling by at most this (it then still prints as the
/// ceiling to three decimals), dB.
const PRINT_TOLERANCE_DB: f32 = 0.0005;
/// Host block size.
const BLOCK: usize = 512;

/// Renders `input` through a Master Bus with the named plain `setting` at `rate_hz`; returns
/// the output with the latency removed and the plugin (for its saved state).
fn render(setting: &[(&str, f64)], input: &Channels, rate_hz: f64) -> (Channels, PluginUnderTest) {
    let mut plugin = PluginUnderTest::open_typed(MASTER_BUS_ID, 2, setting).unwrap();
    plugin.activate(rate_hz, BLOCK).unwrap();
    let latency = plugin.latency().unwrap() as usize;
    let mut audio: Channels = input
        .iter()
        .map(|c| {
            let mut padded = c.clone();
            padded.resize(c.len() + latency, 0.0);
            padded
        })
        .collect();
    plugin.process(&mut audio, &[BLOCK], &[]).unwrap();
    for channel in &mut audio {
        channel.drain(..latency);
    }
    (audio, plugin)
}

/// Stress material at `rate_hz`, 1 s each: a sine near Nyquist, a naive square, a clipped
/// pink noise, a drum-like transient train and inter-sample-peak bait (fs/4 sine at 45°).
fn stress_material(rate_hz: f64) -> Vec<(&'static str, Channels)> {
    let n = rate_hz as usize;
    let stereo = |x: Vec<f32>| vec![x.clone(), x];
    let square: Vec<f32> = sine(997.0, 1.0, rate_hz, n, 0.3)
        .iter()
        .map(|s| s.signum() * 0.9)
        .collect();
    let clipped: Vec<f32> = pink_noise(4, 2.0, n)
        .iter()
        .map(|s| s.clamp(-1.0, 1.0))
        .collect();
    vec![
        (
            "sine at 0.45 fs",
            stereo(sine(0.45 * rate_hz, 0.9, rate_hz, n, 0.1)),
        ),
        ("square", stereo(square)),
        ("clipped pink", stereo(clipped)),
        (
            "transients",
            stereo(transient_train(7, 0.95, rate_hz, n, 0.25, 60.0)),
        ),
        (
            "fs/4 at 45°",
            stereo(sine(
                rate_hz / 4.0,
                0.99,
                rate_hz,
                n,
                std::f64::consts::FRAC_PI_4,
            )),
        ),
    ]
}

#[test]
fn driven_12_db_into_minus_1_dbtp_no_true_peak_over_at_16x() {
    let setting = [("Limiter", 1.0), ("Input Gain", 12.0)];
    let mut worst = f32::NEG_INFINITY;
    for rate_hz in [44_100.0, 48_000.0, 96_000.0] {
        for (name, input) in stress_material(rate_hz) {
            let (out, _) = render(&setting, &input, rate_hz);
            let channels: Vec<&[f32]> = out.iter().map(Vec::as_slice).collect();
            let tp = measure_true_peak_db(&channels, rate_hz, ORACLE_OVERSAMPLING);
            println!("{rate_hz} Hz {name}: {tp:.4} dBTP");
            worst = worst.max(tp);
            assert!(tp <= -1.0 + PRINT_TOLERANCE_DB, "{rate_hz} Hz {name}: {tp}");
        }
    }
    println!("highest output true peak at 16x: {worst:.4} dBTP");
}

/// Loudness readings of a file measured offline by shared-dsp and by the `ebur128` crate:
/// `(integrated LUFS, max true peak dBTP)` each.
fn offline_readings(audio: &Channels, rate_hz: f64) -> [(f64, f64); 2] {
    let channels: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
    let mut meter = LoudnessMeter::new(rate_hz, 4096, 2);
    for start in (0..audio[0].len()).step_by(4096) {
        let end = (start + 4096).min(audio[0].len());
        let block: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
        meter.process_block(&block);
    }
    let ours = meter.readings();
    let mut oracle = ebur128::EbuR128::new(
        2,
        rate_hz as u32,
        ebur128::Mode::I | ebur128::Mode::TRUE_PEAK,
    )
    .unwrap();
    oracle.add_frames_planar_f32(&channels).unwrap();
    let oracle_tp = (0..2)
        .map(|ch| oracle.true_peak(ch).unwrap())
        .fold(0.0f64, f64::max);
    [
        (
            f64::from(ours.integrated_lufs),
            f64::from(ours.max_true_peak_dbtp),
        ),
        (oracle.loudness_global().unwrap(), 20.0 * oracle_tp.log10()),
    ]
}

#[test]
fn meter_readings_match_an_offline_measurement_of_the_rendered_file() {
    let rate_hz = 48_000.0;
    let dir = tempfile::tempdir().unwrap();
    let stems = synthesize(rate_hz, 20 * 48_000);
    let mix: Channels = (0..2)
        .map(|ch| {
            (0..stems[0].audio[0].len())
                .map(|n| stems.iter().map(|s| s.audio[ch][n]).sum())
                .collect()
        })
        .collect();
    let write = |name: &str, channels: Channels| {
        let path = dir.path().join(name);
        let audio = Audio {
            sample_rate_hz: 48_000,
            channels,
        };
        write_wav(&path, &audio, WavFormat::Float32, false).unwrap();
        read_audio(&path).unwrap().channels
    };
    let input = write("mix.wav", mix);
    let setting = [
        ("Glue Compressor", 1.0),
        ("Glue Threshold", -20.0),
        ("Limiter", 1.0),
        ("Input Gain", 6.0),
    ];
    let (out, mut plugin) = render(&setting, &input, rate_hz);
    let rendered = write("master.wav", out);
    let saved = plugin.saved_field("readings").unwrap();
    let plugin_i = saved["integrated_lufs"].as_f64().unwrap();
    let plugin_tp = saved["max_true_peak_dbtp"].as_f64().unwrap();
    println!("plugin meter: {plugin_i:.3} LUFS, {plugin_tp:.3} dBTP");
    for (who, (integrated, true_peak)) in ["shared-dsp", "ebur128"]
        .iter()
        .zip(offline_readings(&rendered, rate_hz))
    {
        println!("{who} on the file: {integrated:.3} LUFS, {true_peak:.3} dBTP");
        assert!(
            (plugin_i - integrated).abs() <= 0.05,
            "{who}: {plugin_i} vs {integrated}"
        );
        assert!(
            (plugin_tp - true_peak).abs() <= 0.05,
            "{who}: {plugin_tp} vs {true_peak}"
        );
    }
}

/// The vinyl checks through the CLAP bundle: material with anti-phase bass (50 Hz side 6 dB
/// above the 80 Hz mono bass) and correlated highs. At the defaults (bit-exact) the stereo
/// image the plugin saves matches shared-dsp's meter run offline on the rendered output, and
/// warns of LF anti-phase; with the Mono Bass on (150 Hz, 24 dB/oct: the 50 Hz side 38 dB
/// down) the warning is gone, the LF correlation is positive and the full-band correlation
/// rises (only side was taken away).
#[test]
fn stereo_image_and_mono_bass_through_the_bundle() {
    use shared_dsp::stereo_image::StereoImageMeter;
    let rate_hz = 48_000.0;
    let n = 4 * rate_hz as usize;
    let mono = sine(80.0, 0.2, rate_hz, n, 0.0);
    let anti = sine(50.0, 0.4, rate_hz, n, 0.0);
    let highs = pink_noise(12, 0.2, n);
    let left: Vec<f32> = (0..n).map(|i| mono[i] + anti[i] + highs[i]).collect();
    let right: Vec<f32> = (0..n).map(|i| mono[i] - anti[i] + highs[i]).collect();
    let input = vec![left, right];

    let (output, mut plugin) = render(&[], &input, rate_hz);
    let saved = plugin.saved_field("readings").unwrap();
    let stereo = &saved["stereo"];
    println!("defaults: {stereo}");
    let mut offline = StereoImageMeter::new(rate_hz);
    offline.process_block(&output[0], &output[1]);
    let r = offline.readings();
    let s = offline.statistics();
    // The plugin also measured the latency's worth of silence first (its output before the
    // delayed input arrives): the live readings agree closely, the times within that.
    let field = |key: &str| stereo[key].as_f64().unwrap();
    assert!((field("lf_correlation") - f64::from(r.lf_correlation)).abs() < 1e-3);
    assert!((field("correlation") - f64::from(r.correlation)).abs() < 1e-3);
    assert!((field("lf_antiphase_s") - s.lf_antiphase_s).abs() < 0.02);
    assert!(field("lf_antiphase_s") > 3.5, "{stereo}");
    assert!(field("lf_correlation") < -0.5);
    let full_band_before = field("correlation");

    let setting = [
        ("Mono Bass", 1.0),
        ("Mono Bass Frequency", 150.0),
        ("Mono Bass Slope", 1.0),
    ];
    let (_, mut plugin) = render(&setting, &input, rate_hz);
    let saved = plugin.saved_field("readings").unwrap();
    let stereo = &saved["stereo"];
    println!("mono bass on: {stereo}");
    let field = |key: &str| stereo[key].as_f64().unwrap();
    assert!(field("lf_correlation") > 0.9, "{stereo}");
    // Only the crossfade in (30 ms) and the filter's settling can still warn.
    assert!(field("lf_antiphase_s") < 0.1, "{stereo}");
    assert!(field("correlation") > full_band_before, "{stereo}");
}
