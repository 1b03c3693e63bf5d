"""The Master Bus's EQ, glue compressor, limiter and A/B through the VST3 bundle in pedalboard
(JUCE): each parameter, set by its host-visible name in its own unit, moves the output as its
name says. Signals are written to WAV, processed, read back and measured. (pedalboard leaves
the reference sidechain bus unconnected, so the null test idles, as it must.)"""

import numpy as np
import pytest

from audio import check_every_parameter, render

RATE = 48000


def sine(freq_hz, peak_dbfs, seconds=1.0):
    """A stereo sine (both channels identical)."""
    n = np.arange(int(RATE * seconds))
    x = 10 ** (peak_dbfs / 20) * np.sin(2 * np.pi * freq_hz * n / RATE)
    return np.stack([x, x]).astype(np.float32)


def noise(peak_dbfs, seconds=2.0):
    """Seeded stereo noise scaled to `peak_dbfs`."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, int(RATE * seconds)))
    return (x / np.max(np.abs(x)) * 10 ** (peak_dbfs / 20)).astype(np.float32)


def rms_db(x):
    """RMS of the left channel over the second half, dBFS."""
    half = x.shape[1] // 2
    return 10 * np.log10(np.mean(np.square(x[0, half:], dtype=np.float64)))


def gain_db(master_bus, tmp_path, signal, params):
    """Level change of the left channel over the second half, dB."""
    dry, wet = render(master_bus, tmp_path, signal, RATE, params)
    return rms_db(wet) - rms_db(dry)


@pytest.mark.parametrize(
    "params, tone_hz, expected_db",
    [
        ({"bell_1_frequency": 250.0, "bell_1_gain_db": 2.0}, 250.0, 2.0),
        ({"bell_2_frequency": 1000.0, "bell_2_gain_db": -3.0}, 1000.0, -3.0),
        ({"bell_3_frequency": 4000.0, "bell_3_gain_db": 1.5}, 4000.0, 1.5),
        ({"low_shelf_frequency": 100.0, "low_shelf_gain_db": -2.0}, 25.0, -2.0),
        ({"input_gain_db": -6.0, "output_gain_db": 2.0}, 1000.0, -4.0),
    ],
)
def test_eq_and_gains(master_bus, tmp_path, params, tone_hz, expected_db):
    measured = gain_db(master_bus, tmp_path, sine(tone_hz, -12.0), params)
    assert measured == pytest.approx(expected_db, abs=0.15), f"{params}"


def test_low_pass_cuts_an_octave_above_its_corner(master_bus, tmp_path):
    # 12 dB/oct Butterworth at 10 kHz: −12.3 dB an octave up in the analog prototype; the
    # digital design (48 kHz) falls a little faster towards Nyquist.
    params = {"low_pass": True, "low_pass_frequency": 10000.0}
    measured = gain_db(master_bus, tmp_path, sine(20000.0, -12.0), params)
    assert -14.0 < measured < -12.0


def test_glue_compressor_reduces_loud_and_keeps_quiet(master_bus, tmp_path):
    params = {"glue_compressor": True, "glue_threshold_db": -30.0, "glue_ratio": "4.00:1"}
    loud = gain_db(master_bus, tmp_path, sine(1000.0, -10.0), params)
    quiet = gain_db(master_bus, tmp_path, sine(1000.0, -50.0), params)
    assert loud < -8.0
    assert quiet == pytest.approx(0.0, abs=0.01)


@pytest.mark.parametrize(
    "preset, ceiling_db",
    [("Streaming −1.0 dBTP", -1.0), ("Vinyl −0.5 dBTP", -0.5), ("Broadcast −2.0 dBTP", -2.0)],
)
def test_limiter_holds_each_ceiling_preset(master_bus, tmp_path, preset, ceiling_db):
    params = {"limiter": True, "ceiling_preset": preset, "limiter_drive_db": 12.0}
    _, wet = render(master_bus, tmp_path, noise(-1.0), RATE, params)
    peak_db = 20 * np.log10(np.max(np.abs(wet)))
    assert ceiling_db - 0.5 < peak_db <= ceiling_db + 1e-3


def test_equal_loudness_ab_matches_the_master_level(master_bus, tmp_path):
    limited = {"limiter": True, "limiter_drive_db": 10.0}
    signal = noise(-3.0, seconds=6.0)
    _, processed = render(master_bus, tmp_path, signal, RATE, limited)
    _, ab = render(master_bus, tmp_path, signal, RATE, {**limited, "equal_loudness_a_b": "Unprocessed"})
    assert rms_db(ab) == pytest.approx(rms_db(processed), abs=0.5)
    assert not np.allclose(ab, processed, atol=1e-4), "the A/B plays the unprocessed input"


def test_every_parameter_reaches_both_ends_and_stays_finite(master_bus, tmp_path):
    """Each parameter at its first and last value through the VST3 host, with every stage on:
    finite output, and a different sound at the two ends for parameters that act on audio."""
    enable = {
        "glue_compressor": True,
        "glue_threshold_db": -40.0,
        "limiter": True,
        "limiter_drive_db": 6.0,
        "ceiling_dbtp": -3.0,  # the Custom preset's value, so Custom differs from Streaming
        "high_pass": True,
        "low_pass": True,
        "mono_bass": True,  # the 60 Hz tone is unequal in the channels: it has side below the corner
        **{f"{b}_gain_db": 2.0 for b in ("low_shelf", "bell_1", "bell_2", "bell_3", "high_shelf")},
    }
    no_audio_effect = {
        "bypass",
        "eq_phase",
        "delivery_target",
        "custom_target_loudness_lufs",
        "custom_target_true_peak_dbtp",
        "ceiling_dbtp",  # acts only with the Custom preset
        "lookahead_ms",  # moves the latency, which pedalboard compensates
    }
    signal = sine(1000.0, -6.0, seconds=0.5) + sine(60.0, -12.0, seconds=0.5)
    signal[1] *= 0.25  # unequal channels, so the stereo links matter
    check_every_parameter(
        master_bus, tmp_path, signal, RATE, lambda key, end: {**enable, key: end}, no_audio_effect
    )
