"""The session link through the VST3 bundles in pedalboard (JUCE): three Stem Strips and a
Master Bus in this process, put into one session and the strips named and trimmed by editing
their saved state (`raw_state`); after each strip processed a second of noise, the Master Bus's
saved state lists the three strips with those names and trims.

pedalboard's VST3 `raw_state` is JUCE's: "VC2!", a 4-byte little-endian length, then XML
<VST3PluginState> whose <IComponent> text is the component's state in JUCE's base64 variant
("<byte count>.<chars>", 6-bit groups taken from the little end of the byte string). The
component state is nice-plug's JSON ({"params": ..., "fields": ...}, each persisted field a
JSON string), with or without an 8-byte length prefix; both are handled."""

import json
import os
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from audio import load

RATE = 48000
JUCE_MAGIC = b"VC2!"
JUCE_BASE64 = ".ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+"
# (display name, trim dB): different trims, one of them not a round number.
STRIPS = (("VST3 Drums", -2.375), ("VST3 Bass", 1.25), ("VST3 Keys", 4.5))
TRIM_TOLERANCE_DB = 1e-3


def juce_base64_decode(text):
    """JUCE's MemoryBlock::fromBase64Encoding."""
    count, _, chars = text.strip().partition(".")
    value = 0
    for i, ch in enumerate(chars):
        value |= JUCE_BASE64.index(ch) << (6 * i)
    return (value & ((1 << (8 * int(count))) - 1)).to_bytes(int(count), "little")


def juce_base64_encode(data):
    """JUCE's MemoryBlock::toBase64Encoding."""
    value = int.from_bytes(data, "little")
    chars = "".join(JUCE_BASE64[(value >> (6 * i)) & 63] for i in range((len(data) * 8 + 5) // 6))
    return f"{len(data)}.{chars}"


class VstState:
    """A VST3 plugin's `raw_state` taken apart: the XML and the component's JSON."""

    def __init__(self, raw):
        assert raw[:4] == JUCE_MAGIC, f"not a JUCE binary XML state: {raw[:16]!r}"
        (length,) = struct.unpack("<I", raw[4:8])
        self.xml = ET.fromstring(raw[8 : 8 + length].rstrip(b"\0").decode("utf-8"))
        component = self.xml.find("IComponent")
        assert component is not None, f"no IComponent in {ET.tostring(self.xml)[:200]!r}"
        blob = juce_base64_decode(component.text)
        self.prefixed = not blob.lstrip().startswith(b"{")
        if self.prefixed:
            (size,) = struct.unpack("<Q", blob[:8])
            assert size == len(blob) - 8, f"length prefix {size} for {len(blob) - 8} bytes"
            blob = blob[8:]
        self.json = json.loads(blob)

    def field(self, key):
        """A persisted field, decoded (nice-plug stores each as a JSON string)."""
        return json.loads(self.json["fields"][key])

    def set_field(self, key, value):
        self.json["fields"][key] = json.dumps(value)

    def to_raw(self):
        blob = json.dumps(self.json).encode("utf-8")
        if self.prefixed:
            blob = struct.pack("<Q", len(blob)) + blob
        self.xml.find("IComponent").text = juce_base64_encode(blob)
        text = ET.tostring(self.xml, encoding="utf-8", xml_declaration=True) + b"\0"
        return JUCE_MAGIC + struct.pack("<I", len(text)) + text


def segment_path(session):
    """The session's segment file (plugins/link/src/segment.rs; `session` needs no
    sanitising: letters, digits and '-' only)."""
    directory = Path(os.environ.get("STEMWISE_LINK_DIR", "/dev/shm"))
    return directory / f"stemwise-link-v1-u{os.geteuid()}-{session}"


def test_juce_base64_round_trip():
    for data in (b"", b"a", b"ab", b"abc", bytes(range(256))):
        assert juce_base64_decode(juce_base64_encode(data)) == data


def test_the_master_bus_lists_the_vst3_strips_of_its_session(stem_strip, master_bus):
    if not Path("/dev/shm").is_dir() and "STEMWISE_LINK_DIR" not in os.environ:
        pytest.skip("no /dev/shm here; set STEMWISE_LINK_DIR")
    session = f"vst3-{os.getpid()}"
    segment = segment_path(session)
    segment.unlink(missing_ok=True)
    # Every instance stays referenced until the end: a collected strip frees its slot.
    strips = []
    try:
        rng = np.random.default_rng(7)
        for index, (name, trim_db) in enumerate(STRIPS):
            strip = load(stem_strip)
            state = VstState(strip.raw_state)
            # The state names parameters by their nice-plug id ("trim"; pedalboard's key is
            # "trim_db"), each value tagged with its type ({"f32": ...}).
            assert "trim" in state.json["params"], sorted(state.json["params"])
            state.json["params"]["trim"] = {"f32": trim_db}
            state.set_field("session", session)
            state.set_field("display_name", name)
            strip.raw_state = state.to_raw()
            back = VstState(strip.raw_state)
            assert back.field("session") == session and back.field("display_name") == name
            assert back.json["params"]["trim"]["f32"] == pytest.approx(trim_db, abs=1e-6)
            # pedalboard reads the value from its display text (two decimals).
            assert strip.trim_db == pytest.approx(trim_db, abs=0.006)
            noise = (rng.standard_normal((2, RATE)) * 0.1 * (index + 1)).astype(np.float32)
            out = strip.process(noise, RATE, buffer_size=512)
            assert np.all(np.isfinite(out))
            strips.append(strip)
        assert segment.exists(), f"no segment file at {segment}"

        bus = load(master_bus)
        state = VstState(bus.raw_state)
        state.set_field("session", {"name": session})
        bus.raw_state = state.to_raw()
        record = VstState(bus.raw_state).field("session")
        print(json.dumps(record, indent=2))
        assert record["name"] == session
        assert record.get("unavailable") is None, record
        rows = {row["name"]: row for row in record["strips"]}
        assert sorted(rows) == sorted(name for name, _ in STRIPS), record["strips"]
        for name, trim_db in STRIPS:
            listed = rows[name]["trim_db"]
            assert abs(listed - trim_db) <= TRIM_TOLERANCE_DB, f"{name}: {listed} vs {trim_db}"
        assert "trim beyond ±3 dB" in rows["VST3 Keys"]["warnings"], rows["VST3 Keys"]
        assert len(strips) == 3  # keeps the strips alive up to here
    finally:
        del strips
        segment.unlink(missing_ok=True)
