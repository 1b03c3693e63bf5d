"""GUI screenshots: each plugin's standalone binary under Xvfb, captured to
target/screenshots/<plugin>.png, must show a real rendering with its title as readable text."""

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


@dataclass(frozen=True)
class Gui:
    """A plugin's standalone binary and the words its window must show."""

    binary: str
    title: str
    words: tuple


GUIS = {
    "stem-strip": Gui("stemwise-stem-strip", "Stemwise Stem Strip", ("Stemwise", "Strip")),
    "master-bus": Gui("stemwise-master-bus", "Stemwise Master Bus", ("Stemwise", "Master")),
}


@dataclass(frozen=True)
class Shot:
    """A screenshot and what was measured on it."""

    path: Path
    words: tuple
    size: tuple
    std_dev: float
    text: str


@pytest.fixture(scope="module", params=sorted(GUIS), ids=sorted(GUIS))
def shot(request, tmp_path_factory):
    """Runs the plugin's standalone (dummy audio backend) under Xvfb and captures its window;
    the standalone and the X server are stopped whatever happens."""
    gui = GUIS[request.param]
    binary = BIN_DIR / gui.binary
    if not binary.is_file():
        message = f"no standalone binary at {binary}; build it with `{BUILD_COMMAND}`"
        pytest.fail(message, pytrace=False)
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SHOT_DIR / f"{request.param}.png"
    path.unlink(missing_ok=True)
    with xsession.xvfb() as display:
        with xsession.running([str(binary), "--backend", "dummy"], display) as app:
            window_id = xsession.wait_for_window(display, gui.title, app)
            xsession.capture_first_frame(display, window_id, path, MIN_STD_DEV)
    work_dir = tmp_path_factory.mktemp("ocr")
    text = xsession.ocr(path, work_dir)
    return Shot(path, gui.words, xsession.size(path), xsession.std_dev(path), text)


def test_window_is_a_real_rendering(shot):
    assert shot.size[0] >= MIN_SIZE[0] and shot.size[1] >= MIN_SIZE[1], f"size {shot.size}"
    assert shot.std_dev > MIN_STD_DEV, f"{shot.path} looks blank (std dev {shot.std_dev:.4f})"


def test_title_is_readable_text(shot):
    found = shot.text.lower()
    missing = [word for word in shot.words if word.lower() not in found]
    assert not missing, f"OCR of {shot.path} did not find {missing}; it read: {shot.text!r}"
