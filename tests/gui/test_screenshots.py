"""GUI screenshots: each plugin's standalone binary under Xvfb at 100 % and 200 % scaling,
captured to target/screenshots/<plugin>[@2x].png, must show a real rendering with its title and
its key labels as readable text, at the editor's size (twice it at 200 %)."""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

import xsession

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("STEMWISE_BIN_DIR", REPO_ROOT / "target" / "harness"))
SHOT_DIR = REPO_ROOT / "target" / "screenshots"
BUILD_COMMAND = (
    "cargo build --profile harness -p stem-strip -p master-bus --features standalone --bins"
)
# A flat fill measures 0; a dark panel with widgets and text measures well above this.
MIN_STD_DEV = 0.02
# The smallest editor either plugin opens with, in pixels (80 % of Stem Strip's 420x300).
MIN_SIZE = (336, 240)


# Window sizes may differ from the editor's by a pixel of rounding.
SIZE_TOLERANCE_PX = 2


@dataclass(frozen=True)
class Gui:
    """A plugin's standalone binary, the words of its title, the labels that must be legible
    and its default editor size in logical pixels (None: only the minimum is checked)."""

    binary: str
    title: str
    words: tuple
    labels: tuple = ()
    logical_size: tuple = None


GUIS = {
    "stem-strip": Gui("stemwise-stem-strip", "Stemwise Stem Strip", ("Stemwise", "Strip")),
    "master-bus": Gui(
        "stemwise-master-bus",
        "Stemwise Master Bus",
        ("Stemwise", "Master"),
        labels=(
            "Integrated",
            "Null test",
            "Limiter",
            "Loudness",
            "Gain reduction",
            "EQ",
            # The vinyl checks: the stereo image panel and the EQ's mono bass row.
            "Stereo image",
            "Correlation",
            "Mono Bass",
        ),
        logical_size=(1200, 720),
    ),
}


@dataclass(frozen=True)
class Shot:
    """A screenshot and what was measured on it."""

    path: Path
    gui: Gui
    scale: int
    size: tuple
    std_dev: float
    text: str


SCALES = (1, 2)
CASES = [(name, scale) for name in sorted(GUIS) for scale in SCALES]


def case_id(case):
    name, scale = case
    return name if scale == 1 else f"{name}@{scale}x"


@pytest.fixture(scope="module", params=CASES, ids=[case_id(c) for c in CASES])
def shot(request, tmp_path_factory):
    """Runs the plugin's standalone (dummy audio backend) under Xvfb and captures its window;
    the standalone and the X server are stopped whatever happens."""
    name, scale = request.param
    gui = GUIS[name]
    binary = BIN_DIR / gui.binary
    if not binary.is_file():
        message = f"no standalone binary at {binary}; build it with `{BUILD_COMMAND}`"
        pytest.fail(message, pytrace=False)
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SHOT_DIR / f"{case_id(request.param)}.png"
    path.unlink(missing_ok=True)
    with xsession.xvfb() as display:
        command = [str(binary), "--backend", "dummy"]
        with xsession.running(command, display, {"STEMWISE_UI_SCALE": str(scale)}) as app:
            window_id = xsession.wait_for_window(display, gui.title, app)
            xsession.capture_first_frame(display, window_id, path, MIN_STD_DEV)
    work_dir = tmp_path_factory.mktemp("ocr")
    text = xsession.ocr(path, work_dir)
    return Shot(path, gui, scale, xsession.size(path), xsession.std_dev(path), text)


def test_window_is_a_real_rendering(shot):
    min_w, min_h = (shot.scale * MIN_SIZE[0], shot.scale * MIN_SIZE[1])
    assert shot.size[0] >= min_w and shot.size[1] >= min_h, f"size {shot.size} at {shot.scale}x"
    assert shot.std_dev > MIN_STD_DEV, f"{shot.path} looks blank (std dev {shot.std_dev:.4f})"


def test_window_has_the_editor_size(shot):
    if shot.gui.logical_size is None:
        pytest.skip("no fixed editor size declared for this plugin")
    expected = tuple(shot.scale * side for side in shot.gui.logical_size)
    off = [abs(got - want) for got, want in zip(shot.size, expected)]
    assert max(off) <= SIZE_TOLERANCE_PX, f"size {shot.size}, expected {expected} at {shot.scale}x"


def test_title_is_readable_text(shot):
    found = shot.text.lower()
    missing = [word for word in shot.gui.words if word.lower() not in found]
    assert not missing, f"OCR of {shot.path} did not find {missing}; it read: {shot.text!r}"


def test_key_labels_are_readable_text(shot):
    """Section labels in the body text size must read, not only the large title."""
    if not shot.gui.labels:
        pytest.skip("no key labels declared for this plugin")
    # Compared without spaces: tesseract sometimes merges words set with narrow UI spacing.
    found = "".join(shot.text.lower().split())
    missing = [label for label in shot.gui.labels if label.lower().replace(" ", "") not in found]
    assert not missing, f"OCR of {shot.path} did not find {missing}; it read: {shot.text!r}"
