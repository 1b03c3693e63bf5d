"""The Master Bus's Session panel with six linked Stem Strips (an electronic session run by the
`stemwise-strip-host` helper in another process) under Xvfb: the panel is scrolled into view in
the right-hand column and captured to target/screenshots/master-bus-session.png, and the strip
names and the panel title must read as text. Both processes use a private STEMWISE_LINK_DIR, so
the test never touches a real session in /dev/shm."""

import os
import subprocess
import time

import pytest

import xsession
from test_screenshots import BIN_DIR, BUILD_COMMAND, MIN_STD_DEV, SHOT_DIR

HOST_BUILD_COMMAND = "cargo build --profile harness -p stemwise-tests --bin stemwise-strip-host"
# The strips of the strip host's `electronic` preset set.
NAMES = ("Kick", "Bass", "Sub", "Synths", "Vocals", "FX")
# OCR may miss a short name set in the small body font.
MIN_NAMES_READ = 5
# The strip host runs at most this long (it is stopped when the test ends).
HOST_SECONDS = 120
# The right-hand column's widest, logical pixels (plugins/master-bus/src/editor.rs), plus margin.
SIDE_PANEL_PX = 440
# Wheel clicks over the right-hand column, enough to reach its bottom.
WHEEL_CLICKS = 40


def scroll_down(keys, x, y, clicks):
    """Wheel-down clicks (X button 5) with the pointer at (x, y) on the screen."""
    keys.move(x, y)
    for _ in range(clicks):
        keys.xtst.XTestFakeButtonEvent(keys.display, 5, 1, 0)
        keys.xtst.XTestFakeButtonEvent(keys.display, 5, 0, 0)
        keys.x11.XFlush(keys.display)
        time.sleep(0.02)


def test_session_panel_lists_six_linked_strips(tmp_path):
    if not xsession.Input.available():
        pytest.skip("libXtst (XTEST) is not installed")
    bus = BIN_DIR / "stemwise-master-bus"
    host = BIN_DIR / "stemwise-strip-host"
    if not bus.is_file():
        pytest.fail(f"no standalone binary at {bus}; build it with `{BUILD_COMMAND}`")
    if not host.is_file():
        pytest.fail(f"no strip host at {host}; build it with `{HOST_BUILD_COMMAND}`")
    link_dir = tmp_path / "link"
    link_dir.mkdir()
    env = {"STEMWISE_LINK_DIR": str(link_dir)}
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SHOT_DIR / "master-bus-session.png"
    path.unlink(missing_ok=True)
    strips = subprocess.Popen(
        [str(host), "default", "6", str(HOST_SECONDS), "electronic"],
        # It loads the Stem Strip from $CARGO_TARGET_DIR/bundled: the build the binaries are from.
        env={**os.environ, **env, "CARGO_TARGET_DIR": str(BIN_DIR.parent)},
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = strips.stdout.readline()
        assert line.startswith("ready"), f"the strip host said {line!r}"
        with xsession.xvfb() as display:
            command = [str(bus), "--backend", "dummy"]
            with xsession.running(command, display, {**env, "STEMWISE_UI_SCALE": "1"}) as app:
                window_id = xsession.wait_for_window(display, "Stemwise Master Bus", app)
                xsession.capture_first_frame(display, window_id, path, MIN_STD_DEV)
                width, height = xsession.size(path)
                origin_x, origin_y = xsession.window_origin(display, window_id)
                keys = xsession.Input(display)
                try:
                    # The right-hand column: its middle, well below the header.
                    scroll_down(keys, origin_x + width - 150, origin_y + height // 2, WHEEL_CLICKS)
                    keys.move(origin_x + 4, origin_y + 4)
                finally:
                    keys.close()
                # The panel reads the link every 250 ms; let it and the scroll settle.
                time.sleep(1.5)
                xsession.capture(display, window_id, path)
    finally:
        xsession.stop(strips)
    assert xsession.std_dev(path) > MIN_STD_DEV, f"{path} looks blank"
    # Only words in the right-hand column count (the side panel is at most 420 px wide).
    boxes = xsession.word_boxes(path, tmp_path)
    words = {text.strip(".,:;|()[]") for text, x, _ in boxes if x > width - SIDE_PANEL_PX}
    read = [name for name in NAMES if name in words]
    assert "Session" in words, f"OCR of {path} found no 'Session' title; it read: {boxes!r}"
    assert len(read) >= MIN_NAMES_READ, f"OCR of {path} read only {read} of {NAMES}: {boxes!r}"
