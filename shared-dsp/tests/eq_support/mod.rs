//! Helpers shared by the EQ tests: settings builders and measured magnitude by impulse + FFT.

use realfft::RealFftPlanner;
use shared_dsp::eq::settings::{BandKind, BandSettings, EqSettings, PhaseMode, Slope};
use shared_dsp::eq::Eq;

/// One enabled band.
pub fn band(kind: BandKind, freq_hz: f32, gain_db: f32, q: f32, slope: Slope) -> BandSettings {
    BandSettings {
        kind,
        enabled: true,
        freq_hz,
        gain_db,
        q,
        slope,
    }
}

/// Settings with `bands` in the first slots, the rest disabled.
pub fn settings(bands: &[BandSettings], phase: PhaseMode) -> EqSettings {
    let mut s = EqSettings {
        phase,
        ..EqSettings::default()
    };
    s.bands[..bands.len()].copy_from_slice(bands);
    s
}

/// The Master Bus layout: HP, low shelf, three bells, high shelf, LP.
pub fn master_bus(phase: PhaseMode) -> EqSettings {
    settings(
        &[
            band(BandKind::HighPass, 30.0, 0.0, 0.7, Slope::Db24),
            band(BandKind::LowShelf, 120.0, 3.0, 0.7, Slope::Db12),
            band(BandKind::Bell, 400.0, -2.5, 1.2, Slope::Db12),
            band(BandKind::Bell, 2500.0, 1.5, 0.8, Slope::Db12),
            band(BandKind::Bell, 6000.0, -3.0, 3.0, Slope::Db12),
            band(BandKind::HighShelf, 10_000.0, 2.0, 0.7, Slope::Db12),
            band(BandKind::LowPass, 19_000.0, 0.0, 0.7, Slope::Db12),
        ],
        phase,
    )
}

/// Impulse response (`len` samples, channel 0 of a stereo EQ) at the settled `settings`.
pub fn impulse_response(eq: &mut Eq, settings: EqSettings, len: usize) -> Vec<f32> {
    eq.set_settings(settings);
    eq.reset();
    let mut l = vec![0.0f32; len];
    let mut r = vec![0.0f32; len];
    l[0] = 1.0;
    for (lc, rc) in l.chunks_mut(4096).zip(r.chunks_mut(4096)) {
        eq.process_block(&mut [lc, rc]);
    }
    l
}

/// Magnitude spectrum (linear) of `h`, bins `0..=len/2` with spacing `fs/len`.
pub fn magnitude(h: &[f32]) -> Vec<f64> {
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(h.len());
    let mut input: Vec<f64> = h.iter().map(|&x| f64::from(x)).collect();
    let mut out = fft.make_output_vec();
    fft.process(&mut input, &mut out).unwrap();
    out.iter().map(|c| c.norm()).collect()
}

/// Largest |dB difference| between measured and `expected` over `lo_hz..=hi_hz`, skipping
/// bins where the expected response is below `floor_db` (f32 output noise floor).
pub fn max_error_db(
    measured: &[f64],
    sample_rate_hz: f64,
    lo_hz: f64,
    hi_hz: f64,
    floor_db: f64,
    expected: impl Fn(f64) -> f64,
) -> (f64, f64) {
    let n = (measured.len() - 1) * 2;
    let mut worst = (0.0, 0.0);
    for (k, &m) in measured.iter().enumerate() {
        let f = k as f64 * sample_rate_hz / n as f64;
        if f < lo_hz || f > hi_hz {
            continue;
        }
        let e = 20.0 * expected(f).log10();
        if e < floor_db {
            continue;
        }
        let err = (20.0 * m.log10() - e).abs();
        if err > worst.0 {
            worst = (err, f);
        }
    }
    worst
}
