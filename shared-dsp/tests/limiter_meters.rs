//! A ceiling every QC meter agrees with: at +12 dB of drive into −1 dBTP, the limiter's output
//! reads at or below the ceiling both on the 16× oracle meter of `shared_dsp::true_peak` and
//! on the BS.1770-4 meter distributors use (the `ebur128` crate: libebur128's 4× interpolator
//! below 96 kHz, 2× at 96 kHz) and this crate's own BS.1770-4 meter (the plugins' meters,
//! `stemwise measure`), on the stress set and on song-like programme at 44.1, 48 and
//! 96 kHz, at the default settings and at the two corner settings of `limiter_overs` (shortest
//! lookahead with fastest release and no link; auto release with half link). Prints the worst reading of each meter per rate and the integrated loudness of the
//! programme, the figure to compare when the detector changes (loudness cost in LU).
//! Run: `cargo test -p shared-dsp --profile harness --test limiter_meters -- --nocapture`.

mod limiter_common;

use assert_no_alloc::AllocDisabler;
use ebur128::{EbuR128, Mode};
use limiter_common::programme::song;
use limiter_common::stress::stress_set;
use limiter_common::{limiter, run_stereo, with_tail};
use shared_dsp::limiter::LimiterSettings;
use shared_dsp::true_peak::{bs1770_oversampling, measure_true_peak_db};

#[global_allocator]
static A: AllocDisabler = AllocDisabler;

/// Ceiling of the test, dBTP.
const CEILING_DB: f32 = -1.0;
/// Drive of the test, dB.
const DRIVE_DB: f32 = 12.0;
/// Seconds of each song.
const SONG_SECONDS: f64 = 8.0;

/// The `ebur128` crate's true peak (dBTP) of a stereo signal, and its integrated loudness
/// (LUFS).
fn ebur128_readings(left: &[f32], right: &[f32], fs: u32) -> (f64, f64) {
    let mut meter = EbuR128::new(2, fs, Mode::TRUE_PEAK | Mode::I).expect("meter");
    meter.add_frames_planar_f32(&[left, right]).expect("frames");
    let peak = (0..2)
        .map(|ch| meter.true_peak(ch).expect("true peak"))
        .fold(0.0f64, f64::max);
    (
        20.0 * peak.log10(),
        meter.loudness_global().expect("loudness"),
    )
}

/// Worst readings over one rate: (ebur128 dBTP, 16× dBTP, this crate's BS.1770-4 meter
/// dBTP, mean programme loudness LUFS).
fn worst_at(fs: f64, settings: LimiterSettings) -> (f64, f32, f32, f64) {
    let mut lim = limiter(fs as f32, settings);
    let tail = lim.latency_samples() + 64;
    let mut cases: Vec<(String, Vec<f32>, Vec<f32>)> = stress_set(fs);
    for seed in 1..=3 {
        let (l, r) = song(seed, fs, SONG_SECONDS);
        cases.push((format!("song {seed}"), l, r));
    }
    let (mut worst_meter, mut worst_16x) = (f64::NEG_INFINITY, f32::NEG_INFINITY);
    let mut worst_house = f32::NEG_INFINITY;
    let mut programme_lufs = 0.0;
    for (name, left, right) in &cases {
        lim.reset();
        let (l, r) = run_stereo(
            &mut lim,
            &with_tail(left, tail),
            &with_tail(right, tail),
            &[512, 97],
        );
        let (meter_db, lufs) = ebur128_readings(&l, &r, fs as u32);
        let oracle_db = measure_true_peak_db(&[&l, &r], fs, 16);
        let house_db = measure_true_peak_db(&[&l, &r], fs, bs1770_oversampling(fs));
        worst_house = worst_house.max(house_db);
        if name.starts_with("song") {
            programme_lufs += lufs / 3.0;
            println!("{fs} Hz {name}: {lufs:.3} LUFS, ebur128 {meter_db:+.4} dBTP, 16x {oracle_db:+.4} dBTP");
        }
        if meter_db > worst_meter || oracle_db > worst_16x {
            println!("{fs} Hz {name}: ebur128 {meter_db:+.4} dBTP, 16x {oracle_db:+.4} dBTP");
        }
        worst_meter = worst_meter.max(meter_db);
        worst_16x = worst_16x.max(oracle_db);
    }
    (worst_meter, worst_16x, worst_house, programme_lufs)
}

/// Checks both meters at every rate for `settings` (ceiling −1 dBTP, drive +12 dB).
fn assert_ceiling_holds(settings: LimiterSettings) {
    let settings = LimiterSettings {
        ceiling_db: CEILING_DB,
        drive_db: DRIVE_DB,
        ..settings
    };
    for fs in [44_100.0, 48_000.0, 96_000.0] {
        let (meter_db, oracle_db, house_db, lufs) = worst_at(fs, settings);
        println!(
            "{:.1} kHz: worst ebur128 TP {meter_db:+.4} dBTP, worst 16x TP {oracle_db:+.4} dBTP, \
             worst shared-dsp meter TP {house_db:+.4} dBTP, programme {lufs:.3} LUFS \
             ({settings:?})",
            fs / 1000.0
        );
        assert!(
            house_db <= CEILING_DB,
            "{fs} Hz: shared-dsp meter reads {house_db}"
        );
        assert!(
            meter_db <= f64::from(CEILING_DB),
            "{fs} Hz: ebur128 reads {meter_db}"
        );
        assert!(oracle_db <= CEILING_DB, "{fs} Hz: 16x reads {oracle_db}");
    }
}

#[test]
fn ceiling_holds_on_the_bs1770_meter_and_at_16x() {
    assert_ceiling_holds(LimiterSettings::default());
}

#[test]
fn ceiling_holds_on_both_meters_at_the_shortest_lookahead_and_fastest_release() {
    assert_ceiling_holds(LimiterSettings {
        lookahead_ms: 0.5,
        release_ms: 1.0,
        stereo_link_t: 0.0,
        ..LimiterSettings::default()
    });
}

#[test]
fn ceiling_holds_on_both_meters_with_auto_release_and_half_link() {
    assert_ceiling_holds(LimiterSettings {
        lookahead_ms: 1.5,
        release_ms: 50.0,
        auto_release: true,
        stereo_link_t: 0.5,
        ..LimiterSettings::default()
    });
}
