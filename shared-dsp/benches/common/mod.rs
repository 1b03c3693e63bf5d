//! Shared setup of the per-processor benches: rate, host block size, test material and the
//! realistic settings that both the criterion benches and `instructions` measure.

// Each bench target compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use shared_dsp::compressor::{CompressorSettings, Detector};
use shared_dsp::eq::settings::{BandKind, BandSettings, EqSettings, PhaseMode};
use shared_dsp::limiter::LimiterSettings;
use shared_dsp::oversampling::OversamplingFactor;
use shared_dsp::saturation::SaturationSettings;
use shared_dsp::signals::pink_noise;

/// Sample rate of every bench, Hz.
pub const FS: f64 = 48_000.0;
/// Frames per host block.
pub const BLOCK_FRAMES: usize = 512;
/// Stereo frames per criterion iteration (1 s).
pub const NUM_FRAMES: usize = 48_000;

/// Stereo pink noise (independent channels) with a peak of about `peak`.
pub fn stereo_pink(num_frames: usize, peak: f32) -> [Vec<f32>; 2] {
    [
        pink_noise(1, peak, num_frames),
        pink_noise(2, peak, num_frames),
    ]
}

/// Feeds `left`/`right` to `process` in blocks of [`BLOCK_FRAMES`].
pub fn for_each_block(
    left: &mut [f32],
    right: &mut [f32],
    mut process: impl FnMut(&mut [&mut [f32]]),
) {
    for (l, r) in left
        .chunks_mut(BLOCK_FRAMES)
        .zip(right.chunks_mut(BLOCK_FRAMES))
    {
        process(&mut [l, r]);
    }
}

/// Limiter driven 12 dB into its −1 dBTP ceiling (fed pink noise peaking at 0 dBFS it limits
/// all the time).
pub fn limiter_settings() -> LimiterSettings {
    LimiterSettings {
        drive_db: 12.0,
        ..LimiterSettings::default()
    }
}

/// Compressor at ratio 2, threshold −20 dB, default knee, times and full stereo link.
pub fn compressor_settings(detector: Detector) -> CompressorSettings {
    CompressorSettings {
        threshold_db: -20.0,
        ratio: 2.0,
        detector,
        ..CompressorSettings::default()
    }
}

/// A typical four-band mastering curve: low shelf, two bells, high shelf, all with gain.
pub fn eq_settings(phase: PhaseMode) -> EqSettings {
    let band = |kind, freq_hz, gain_db, q| BandSettings {
        kind,
        enabled: true,
        freq_hz,
        gain_db,
        q,
        ..BandSettings::default()
    };
    let mut settings = EqSettings {
        phase,
        ..EqSettings::default()
    };
    settings.bands[..4].copy_from_slice(&[
        band(BandKind::LowShelf, 90.0, 2.0, 0.7),
        band(BandKind::Bell, 350.0, -2.5, 1.2),
        band(BandKind::Bell, 2_500.0, 1.5, 0.9),
        band(BandKind::HighShelf, 10_000.0, 3.0, 0.7),
    ]);
    settings
}

/// Saturation with 9 dB drive, a little bias, 12 kHz tone and a 50 % mix.
pub fn saturation_settings(oversampling: OversamplingFactor) -> SaturationSettings {
    SaturationSettings {
        drive_db: 9.0,
        bias: 0.1,
        tone_hz: Some(12_000.0),
        mix_t: 0.5,
        oversampling,
    }
}

/// The Stem Strip with everything on: trim, 80 Hz high-pass, the four-band curve above, the
/// compressor (single band, or 3-band when `multiband`), and the parallel saturation when
/// `saturation`.
pub fn strip_settings(multiband: bool, saturation: bool) -> shared_dsp::strip::StripSettings {
    use shared_dsp::strip::{band_index, CompressorMode, StripSettings};
    let mut s = StripSettings::default();
    s.trim.gain_db = 1.5;
    let curve = eq_settings(PhaseMode::Minimum);
    s.eq.bands[band_index::HIGH_PASS].enabled = true;
    s.eq.bands[band_index::LOW_SHELF..=band_index::HIGH_SHELF].copy_from_slice(&curve.bands[..4]);
    s.compressor_on = true;
    s.compressor = compressor_settings(Detector::Rms);
    s.compressor_mode = if multiband {
        CompressorMode::Multiband
    } else {
        CompressorMode::Single
    };
    s.multiband.bands = [s.compressor; 3];
    s.saturation_on = saturation;
    s.saturation = SaturationSettings {
        oversampling: s.saturation.oversampling,
        ..saturation_settings(OversamplingFactor::X4)
    };
    s.output_db = -0.5;
    s
}

/// The Master Bus with everything on: input gain, high- and low-pass, five shaping bands, the
/// glue compressor (auto release, auto makeup, sidechain high-pass, 80 % mix) and the
/// limiter driven 6 dB into −1 dBTP.
pub fn master_settings() -> shared_dsp::master::MasterSettings {
    use shared_dsp::master::{band_index, MasterSettings};
    let mut s = MasterSettings {
        input_db: 1.0,
        compressor_on: true,
        limiter_on: true,
        ..MasterSettings::default()
    };
    let bands = &mut s.eq.bands;
    bands[band_index::HIGH_PASS].enabled = true;
    bands[band_index::LOW_PASS].enabled = true;
    for (index, gain_db) in [
        (band_index::LOW_SHELF, 1.5),
        (band_index::BELL_1, -1.0),
        (band_index::BELL_2, 0.5),
        (band_index::BELL_3, -0.75),
        (band_index::HIGH_SHELF, 1.0),
    ] {
        bands[index].gain_db = gain_db;
    }
    s.glue.threshold_db = -24.0;
    s.glue.auto_release = true;
    s.glue.auto_makeup = true;
    s.glue.sidechain_hpf_hz = Some(80.0);
    s.glue.mix_t = 0.8;
    s.limiter.drive_db = 6.0;
    s.limiter.auto_release = true;
    s
}
