"""One source per parameter, VST3 side: every entry of the plugins' parameter tables (as
`stemwise params --json` prints them from shared_dsp::params) against the VST3 bundle's
parameters as pedalboard's VST3 host sees them: order, name, range, default and choices. The
CLAP, session-key and GUI side is tests/tests/param_table.rs."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from audio import load
from conftest import REPO_ROOT

BIN_DIR = Path(os.environ.get("STEMWISE_BIN_DIR", REPO_ROOT / "target" / "harness"))
BUILD_COMMAND = "cargo build --profile harness -p stemwise-cli --bin stemwise"
# Which table of `stemwise params --json` describes which plugin.
TABLES = {"Stemwise Stem Strip": "strip", "Stemwise Master Bus": "master"}
# Normalised values closer than this are equal (nice-plug normalises in f32).
NORMALIZED_TOLERANCE = 1e-5


def table(plugin_name):
    """The parameter table of the plugin called `plugin_name`, in host order."""
    binary = BIN_DIR / "stemwise"
    if not binary.is_file():
        pytest.fail(f"no stemwise at {binary}; build it with `{BUILD_COMMAND}`", pytrace=False)
    listing = subprocess.run(
        [str(binary), "params", "--json"], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(listing)[TABLES[plugin_name]]


def typed(entry, plain):
    """A plain value as a host types it, in the unit the parameter shows (percent 0-100)."""
    scale = 100.0 if entry["unit"] == "%" else 1.0
    return f"{plain * scale:g}"


def test_vst3_parameters_follow_the_table(plugin):
    entries = table(plugin.name)
    parameters = list(load(plugin).parameters.values())
    assert [p.name for p in parameters] == [e["name"] for e in entries]
    for parameter, entry in zip(parameters, entries):
        what = f"{plugin.name} {entry['key']}"
        default = parameter.raw_value
        if entry["kind"] == "float":
            raw = [parameter.get_raw_value_for_text(typed(entry, entry[end])) for end in
                   ("min", "max", "default")]
            assert raw[0] == pytest.approx(0.0, abs=NORMALIZED_TOLERANCE), what
            assert raw[1] == pytest.approx(1.0, abs=NORMALIZED_TOLERANCE), what
            assert raw[2] == pytest.approx(default, abs=NORMALIZED_TOLERANCE), what
        elif entry["kind"] == "choice":
            assert list(parameter.valid_values) == entry["choice_names"], what
            last = len(entry["choices"]) - 1
            assert default * last == pytest.approx(entry["default"]), what
        else:
            assert len(parameter.valid_values) == 2, what
            assert default == entry["default"], what
