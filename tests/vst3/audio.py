"""Test signals and the WAV round trip through a VST3 plugin hosted by pedalboard."""

import numpy as np
import pedalboard
from pedalboard.io import AudioFile


def make_signal(sample_rate, seconds=1.0):
    """Seeded stereo noise at about -20 dBFS RMS plus a 997 Hz tone on the left only, so a
    channel swap or a one-sided polarity flip cannot pass unnoticed."""
    num_samples = int(sample_rate * seconds)
    rng = np.random.default_rng(20240601)
    noise = rng.standard_normal((2, num_samples)) * 0.1
    tone = 0.25 * np.sin(2 * np.pi * 997.0 * np.arange(num_samples) / sample_rate)
    noise[0] += tone
    return noise.astype(np.float32)


def write_wav(path, audio, sample_rate):
    """Writes a 32-bit float WAV file."""
    with AudioFile(str(path), "w", sample_rate, audio.shape[0], bit_depth=32) as f:
        f.write(audio)


def read_wav(path):
    """Reads a WAV file as (float32 array shaped channels x samples, sample rate)."""
    with AudioFile(str(path)) as f:
        return f.read(f.frames), f.samplerate


def load(spec, params=None):
    """A fresh instance of the plugin, with `params` set before its first block."""
    return pedalboard.load_plugin(str(spec.path), parameter_values=params or {})


def render(spec, tmp_path, audio, sample_rate, params=None, buffer_size=8192):
    """Writes `audio` to a WAV file, runs it through a fresh instance of the plugin in blocks of
    `buffer_size`, writes the result to a WAV file and returns it read back.

    pedalboard removes the plugin's reported latency itself, so the returned audio lines up
    with the input exactly when the latency report is right."""
    tag = f"{spec.path.stem}-{sample_rate}-{buffer_size}".replace(" ", "_")
    in_path = tmp_path / f"in-{tag}.wav"
    out_path = tmp_path / f"out-{tag}.wav"
    write_wav(in_path, audio, sample_rate)
    dry, file_rate = read_wav(in_path)
    assert file_rate == sample_rate
    wet = load(spec, params).process(dry, sample_rate, buffer_size=buffer_size)
    assert wet.shape == dry.shape, "the plugin returned a different number of samples"
    write_wav(out_path, wet, sample_rate)
    back, _ = read_wav(out_path)
    return dry, back


def check_every_parameter(spec, tmp_path, signal, sample_rate, setting_for, silent):
    """Renders `signal` with each parameter (bypass aside) at its first and last value, the
    whole setting given by `setting_for(key, value)`: the output must be finite, and differ
    between the two ends unless `key` is in `silent` (parameters that act on no audio alone)."""
    for key, parameter in load(spec).parameters.items():
        if key == "bypass":
            continue
        values = list(parameter.valid_values) if parameter.valid_values else []
        ends = (values[0], values[-1]) if values else (parameter.min_value, parameter.max_value)
        outputs = []
        for end in ends:
            _, wet = render(spec, tmp_path, signal, sample_rate, setting_for(key, end))
            assert np.all(np.isfinite(wet)), f"{key}={end!r}"
            outputs.append(wet)
        if key not in silent:
            assert not np.array_equal(outputs[0], outputs[1]), f"{key} does nothing"
