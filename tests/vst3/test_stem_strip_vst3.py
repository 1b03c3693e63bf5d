"""The Stem Strip's EQ, high-pass, compressor, saturation and output through the VST3 bundle in
pedalboard (JUCE): each parameter, set by its host-visible name in its own unit, moves the
output as its name says. Sines are written to WAV, processed, read back and measured."""

import numpy as np
import pytest

from audio import check_every_parameter, render

RATE = 48000


def sine(freq_hz, peak_dbfs, seconds=1.0):
    """A stereo sine (both channels identical)."""
    n = np.arange(int(RATE * seconds))
    x = 10 ** (peak_dbfs / 20) * np.sin(2 * np.pi * freq_hz * n / RATE)
    return np.stack([x, x]).astype(np.float32)


def gain_db(stem_strip, tmp_path, signal, params):
    """Level change of the left channel over the second half, dB."""
    dry, wet = render(stem_strip, tmp_path, signal, RATE, params)
    half = dry.shape[1] // 2
    rms = lambda x: np.sqrt(np.mean(np.square(x[0, half:], dtype=np.float64)))
    return 20 * np.log10(rms(wet) / rms(dry))


@pytest.mark.parametrize(
    "params, tone_hz, expected_db",
    [
        ({"bell_1_frequency": 1000.0, "bell_1_gain_db": 3.0}, 1000.0, 3.0),
        ({"bell_2_frequency": 3000.0, "bell_2_gain_db": -2.5}, 3000.0, -2.5),
        ({"low_shelf_frequency": 100.0, "low_shelf_gain_db": 2.0}, 25.0, 2.0),
        ({"high_shelf_frequency": 8000.0, "high_shelf_gain_db": 2.0}, 18000.0, 1.94),
        ({"output_db": -6.0}, 1000.0, -6.0),
        ({"high_pass": True, "high_pass_frequency": 80.0}, 40.0, -12.3),
    ],
)
def test_eq_output_and_high_pass(stem_strip, tmp_path, params, tone_hz, expected_db):
    measured = gain_db(stem_strip, tmp_path, sine(tone_hz, -12.0), params)
    assert measured == pytest.approx(expected_db, abs=0.1), f"{params}"


def test_compressor_reduces_loud_and_keeps_quiet(stem_strip, tmp_path):
    params = {"compressor": True, "threshold_db": -30.0, "ratio": "4.00:1", "knee_db": 0.0}
    loud = gain_db(stem_strip, tmp_path, sine(1000.0, -10.0), params)
    quiet = gain_db(stem_strip, tmp_path, sine(1000.0, -50.0), params)
    assert loud < -8.0
    assert quiet == pytest.approx(0.0, abs=0.01)


def test_saturation_adds_harmonics_with_its_mix(stem_strip, tmp_path):
    def harmonics(mix_percent):
        params = {"saturation": True, "drive_db": 18.0, "saturation_mix": mix_percent}
        _, wet = render(stem_strip, tmp_path, sine(100.0, -6.0), RATE, params)
        spectrum = np.abs(np.fft.rfft(wet[0, RATE // 2 :] * np.hanning(RATE // 2)))
        bin_of = lambda f: int(round(f * (RATE // 2) / RATE))
        fundamental = spectrum[bin_of(100.0)]
        rest = sum(spectrum[bin_of(100.0 * k)] for k in range(2, 11))
        return 20 * np.log10(rest / fundamental)

    light, full = harmonics(20.0), harmonics(100.0)
    assert -80.0 < light < -20.0
    assert full > light + 6.0


def test_every_parameter_reaches_both_ends_and_changes_the_sound(stem_strip, tmp_path):
    """Each parameter set to its first and last value through the VST3 host: output finite,
    and (for parameters that act on their own, with their stage on) different from the other
    end."""
    # Every stage on and acting, so each parameter has something to change.
    enable = {
        "compressor": True,
        "threshold_db": -40.0,
        "saturation": True,
        "high_pass": True,
        **{f"{band}_gain_db": 3.0 for band in ("low_shelf", "bell_1", "bell_2", "high_shelf")},
    }
    multiband_only = ("low_band_", "mid_band_", "high_band_", "crossover_")
    signal = sine(1000.0, -6.0, seconds=0.5) + sine(60.0, -12.0, seconds=0.5)
    signal[1] *= 0.25  # unequal channels, so the stereo link matters
    silent_on_own = {"role", "bypass", "polarity_l", "polarity_r", "eq_phase"}

    def setting_for(key, end):
        params = {**enable, key: end}
        if key.startswith(multiband_only):
            params["compressor_mode"] = "3-band"
            params.update({f"{b}_band_threshold_db": -40.0 for b in ("low", "mid", "high")})
            params[key] = end
        return params

    check_every_parameter(stem_strip, tmp_path, signal, RATE, setting_for, silent_on_own)
