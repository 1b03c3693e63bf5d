"""The built VST3 bundles in a real VST3 host (JUCE, through pedalboard): parameters, and audio
written to WAV files, processed, and read back."""

import numpy as np
import pytest

from audio import load, make_signal, render
from plugins import SETTLE_S

SAMPLE_RATES = (44100, 48000, 96000)
BLOCK_SIZES = (1, 7, 64, 4096, 8192)
# Bypassed output must null against the dry input to below -120 dBFS. (The end of the 10 ms
# crossfade leaves a residual of one float ulp until the end of the host block it ends in.)
BYPASS_NULL = 1e-6


def settled(audio, sample_rate):
    """The part of `audio` after every parameter ramp has finished."""
    return audio[:, int(SETTLE_S * sample_rate) :]


def test_loads_as_effect(plugin):
    instance = load(plugin)
    assert instance.name == plugin.name
    assert instance.is_effect
    assert instance.manufacturer_name == "Stemwise"


def test_float_parameters(plugin):
    parameters = load(plugin).parameters
    for expected in plugin.float_params:
        assert expected.key in parameters, f"{expected.key} missing from {sorted(parameters)}"
        parameter = parameters[expected.key]
        assert parameter.min_value == pytest.approx(expected.min_db)
        assert parameter.max_value == pytest.approx(expected.max_db)
        assert parameter.label.strip() == "dB"
        assert float(parameter.string_value) == pytest.approx(expected.default_db)


def test_switch_parameters(plugin):
    parameters = load(plugin).parameters
    for key, states in plugin.switch_params:
        assert key in parameters, f"{key} missing from {sorted(parameters)}"
        assert tuple(parameters[key].valid_values) == states
        assert parameters[key].string_value == states[0]
    bypass = parameters["bypass"]
    assert bypass.type is bool
    assert list(bypass.valid_values) == [False, True]
    assert bypass.raw_value == 0.0


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
def test_defaults_are_bit_transparent(plugin, tmp_path, sample_rate):
    dry, wet = render(plugin, tmp_path, make_signal(sample_rate), sample_rate)
    assert np.max(np.abs(dry)) > 0.5
    np.testing.assert_array_equal(wet, dry)


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
def test_gain_settings(plugin, tmp_path, sample_rate):
    signal = make_signal(sample_rate)
    for params, gain in plugin.gain_cases:
        dry, wet = render(plugin, tmp_path, signal, sample_rate, params)
        dry, wet = settled(dry, sample_rate), settled(wet, sample_rate)
        measured = np.sum(wet * dry) / np.sum(dry * dry)
        assert measured == pytest.approx(gain, rel=1e-5), f"{params}"
        np.testing.assert_allclose(wet, gain * dry, rtol=1e-5, atol=1e-7, err_msg=f"{params}")


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
def test_trim_plus_6_02_db_doubles_the_level(stem_strip, tmp_path, sample_rate):
    signal = make_signal(sample_rate)
    dry, wet = render(stem_strip, tmp_path, signal, sample_rate, {"trim_db": 6.02})
    ratio = np.max(np.abs(settled(wet, sample_rate))) / np.max(np.abs(settled(dry, sample_rate)))
    assert ratio == pytest.approx(2.0, abs=2e-4)


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
@pytest.mark.parametrize("side", ("l", "r"))
def test_polarity_inverts_one_channel(stem_strip, tmp_path, sample_rate, side):
    params = {f"polarity_{side}": "Inverted"}
    dry, wet = render(stem_strip, tmp_path, make_signal(sample_rate), sample_rate, params)
    flipped, kept = (0, 1) if side == "l" else (1, 0)
    np.testing.assert_array_equal(wet[kept], dry[kept])
    wet, dry = settled(wet, sample_rate), settled(dry, sample_rate)
    np.testing.assert_array_equal(wet[flipped], -dry[flipped])


@pytest.mark.parametrize("sample_rate", SAMPLE_RATES)
def test_bypass_restores_dry(plugin, tmp_path, sample_rate):
    signal = make_signal(sample_rate)
    _, coloured = render(plugin, tmp_path, signal, sample_rate, plugin.coloured)
    bypassed_params = {**plugin.coloured, "bypass": True}
    dry, bypassed = render(plugin, tmp_path, signal, sample_rate, bypassed_params)
    assert np.max(np.abs(settled(coloured - dry, sample_rate))) > 0.1
    residual = np.max(np.abs(settled(bypassed - dry, sample_rate)))
    assert residual < BYPASS_NULL


def test_block_sizes_give_identical_output(plugin, tmp_path):
    sample_rate = 48000
    signal = make_signal(sample_rate, seconds=0.5)
    outputs = {
        size: render(plugin, tmp_path, signal, sample_rate, plugin.coloured, buffer_size=size)[1]
        for size in BLOCK_SIZES
    }
    reference = outputs[BLOCK_SIZES[-1]]
    assert np.max(np.abs(reference - signal)) > 0.1
    for size, output in outputs.items():
        np.testing.assert_array_equal(output, reference, err_msg=f"buffer_size={size}")


def test_latency_is_constant_under_bypass(plugin):
    signal = make_signal(48000, seconds=0.1)
    latencies = []
    for bypass in (False, True):
        instance = load(plugin, {**plugin.coloured, "bypass": bypass})
        instance.process(signal, 48000)
        latencies.append(instance.reported_latency_samples)
    assert latencies[0] >= 0
    assert latencies[0] == latencies[1]
