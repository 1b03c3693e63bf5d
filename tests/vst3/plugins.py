"""What the VST3 tests expect of each plugin: bundle name, a subset of its parameters, and
parameter settings with the gain they must produce. Values come from plugins/*/src/params.rs."""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

# The longest documented parameter ramp is 20 ms (trim/gain smoothing, polarity crossfade; the
# bypass crossfade is 10 ms), so from 50 ms on every output sample is at its settled value.
SETTLE_S = 0.05


def db_to_gain(db):
    """Linear gain of a level in dB."""
    return 10.0 ** (db / 20.0)


@dataclass(frozen=True)
class FloatParam:
    """A continuous parameter: its pedalboard key, range in dB and default."""

    key: str
    min_db: float
    max_db: float
    default_db: float = 0.0


@dataclass(frozen=True)
class PluginSpec:
    """One plugin as the tests see it."""

    bundle: str
    name: str
    float_params: tuple
    switch_params: tuple
    # Settings paired with the linear gain they must apply to both channels.
    gain_cases: tuple
    # Settings that change the sound, for the bypass and block-size tests.
    coloured: dict = field(default_factory=dict)
    path: Optional[Path] = None

    def with_path(self, path):
        """This spec with the bundle's location filled in."""
        return replace(self, path=path)


PLUGINS = {
    "stem-strip": PluginSpec(
        bundle="Stemwise Stem Strip.vst3",
        name="Stemwise Stem Strip",
        float_params=(FloatParam("trim_db", -12.0, 12.0),),
        switch_params=(
            ("polarity_l", ("Normal", "Inverted")),
            ("polarity_r", ("Normal", "Inverted")),
        ),
        gain_cases=(
            ({"trim_db": 6.02}, db_to_gain(6.02)),
            ({"trim_db": -12.0}, db_to_gain(-12.0)),
        ),
        coloured={"trim_db": 12.0, "polarity_l": "Inverted"},
    ),
    "master-bus": PluginSpec(
        bundle="Stemwise Master Bus.vst3",
        name="Stemwise Master Bus",
        float_params=(
            FloatParam("input_gain_db", -24.0, 24.0),
            FloatParam("output_gain_db", -24.0, 24.0),
        ),
        switch_params=(),
        gain_cases=(
            ({"input_gain_db": 6.02}, db_to_gain(6.02)),
            ({"output_gain_db": 6.02}, db_to_gain(6.02)),
            ({"input_gain_db": 6.02, "output_gain_db": -12.0}, db_to_gain(6.02 - 12.0)),
        ),
        coloured={"input_gain_db": 12.0, "output_gain_db": -3.0},
    ),
}
