"""Keyboard entry in the Master Bus editor under Xvfb: clicking a parameter's value opens a
text field, and typing a value with Enter sets the parameter (egui's text entry, the path that
hosts which swallow keystrokes break)."""

import re
import time

import pytest

import xsession
from test_screenshots import BIN_DIR, BUILD_COMMAND, MIN_STD_DEV

# The glue threshold's default and the value typed in (each shown once in the editor).
DEFAULT_TEXT = "18.00"
TYPED = "-24"
# The value as OCR may read it: tesseract sometimes drops the decimal point of "-24.00 dB".
TYPED_PATTERN = re.compile(r"24\.?00 ?dB")


def test_typing_a_value_sets_the_parameter(tmp_path):
    if not xsession.Input.available():
        pytest.skip("libXtst (XTEST) is not installed")
    binary = BIN_DIR / "stemwise-master-bus"
    if not binary.is_file():
        pytest.fail(f"no standalone binary at {binary}; build it with `{BUILD_COMMAND}`")
    before, after = tmp_path / "before.png", tmp_path / "after.png"
    with xsession.xvfb() as display:
        command = [str(binary), "--backend", "dummy"]
        with xsession.running(command, display, {"STEMWISE_UI_SCALE": "1"}) as app:
            window_id = xsession.wait_for_window(display, "Stemwise Master Bus", app)
            xsession.capture_first_frame(display, window_id, before, MIN_STD_DEV)
            words = xsession.word_boxes(before, tmp_path)
            hits = [(x, y) for text, x, y in words if DEFAULT_TEXT in text]
            assert hits, f"no {DEFAULT_TEXT!r} (glue threshold) on screen: {words}"
            origin_x, origin_y = xsession.window_origin(display, window_id)
            keys = xsession.Input(display)
            try:
                keys.click(origin_x + hits[0][0], origin_y + hits[0][1])
                keys.key("a", modifier="Control_L")
                keys.type(TYPED + "\n")
                # Away from the field, so no hover outline covers the value for OCR.
                keys.move(origin_x + 4, origin_y + 4)
            finally:
                keys.close()
            time.sleep(1.0)
            xsession.capture(display, window_id, after)
    text = xsession.ocr(after, tmp_path)
    assert TYPED_PATTERN.search(text), f"typed {TYPED!r} but the editor shows: {text!r}"
    assert DEFAULT_TEXT not in text, f"the old value is still shown: {text!r}"
