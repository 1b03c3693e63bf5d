"""A private X server with one standalone plugin window in it, and the ImageMagick/tesseract
measurements of its screenshot."""

import os
import re
import subprocess
import time
from contextlib import contextmanager

# Large enough for the biggest editor at 200 % scaling.
SCREEN = "2560x1600x24"
POLL_S = 0.2
# Hang guard only, never a speed check: a window that has not appeared after this long (on a
# loaded 2-core machine) is not going to appear.
HANG_GUARD_S = 300.0
# How many captures to wait for egui's first painted frame once the window is mapped.
FIRST_FRAME_POLLS = 50


@contextmanager
def xvfb():
    """Runs Xvfb on a display number it picks itself (-displayfd) and yields ":N"."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb exited without reporting a display number")
        yield f":{number}"
    finally:
        stop(server)


@contextmanager
def running(command, display, extra_env=None):
    """Runs `command` on `display` with Mesa's software OpenGL (and `extra_env`) and yields
    the process."""
    env = {**os.environ, **(extra_env or {}), "DISPLAY": display, "LIBGL_ALWAYS_SOFTWARE": "1"}
    app = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
    try:
        yield app
    finally:
        stop(app)


def stop(process):
    """Terminates `process`, killing it if it does not exit."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_window(display, title, app):
    """The id of the mapped top-level window whose name contains `title`."""
    pattern = re.compile(r"^\s*(0x[0-9a-f]+) \"([^\"]*)\"")
    deadline = time.monotonic() + HANG_GUARD_S
    tree = ""
    while time.monotonic() < deadline:
        if app.poll() is not None:
            code = app.returncode
            raise RuntimeError(f"the standalone exited with {code} before showing a window")
        tree = subprocess.run(
            ["xwininfo", "-display", display, "-root", "-tree"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for line in tree.splitlines():
            match = pattern.match(line)
            if match and title in match.group(2) and is_viewable(display, match.group(1)):
                return match.group(1)
        time.sleep(POLL_S)
    raise RuntimeError(f"no window named like {title!r} after {HANG_GUARD_S} s; windows:\n{tree}")


def is_viewable(display, window_id):
    """Whether the window is mapped and visible."""
    info = subprocess.run(
        ["xwininfo", "-display", display, "-id", window_id],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return "Map State: IsViewable" in info


def capture(display, window_id, path):
    """Saves the window's pixels to `path` with ImageMagick's import."""
    subprocess.run(["import", "-display", display, "-window", window_id, str(path)], check=True)


def capture_first_frame(display, window_id, path, min_std_dev):
    """Captures until the window shows more than a flat fill (egui paints its first frame a
    little after the window maps), then once more so the frame is complete."""
    for _ in range(FIRST_FRAME_POLLS):
        capture(display, window_id, path)
        if std_dev(path) > min_std_dev:
            break
        time.sleep(POLL_S)
    time.sleep(POLL_S)
    capture(display, window_id, path)


def std_dev(path):
    """Standard deviation of the pixel values, 0 (flat) … 0.5 (half black, half white)."""
    out = subprocess.run(
        ["identify", "-format", "%[fx:standard_deviation]", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out)


def size(path):
    """(width, height) of the image in pixels."""
    out = subprocess.run(
        ["identify", "-format", "%w %h", str(path)], capture_output=True, text=True, check=True
    ).stdout
    width, height = out.split()
    return int(width), int(height)


def ocr(path, work_dir):
    """The text tesseract reads in the image, upscaled 3x in greyscale to help it with small UI
    fonts."""
    scaled = work_dir / f"{path.stem}-ocr.png"
    subprocess.run(
        ["convert", str(path), "-colorspace", "Gray", "-resize", "300%", str(scaled)], check=True
    )
    return subprocess.run(
        ["tesseract", str(scaled), "stdout", "-l", "eng"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
