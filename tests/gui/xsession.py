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


def word_boxes(path, work_dir):
    """The words tesseract reads in the image with their centres in the image's pixels:
    a list of (text, x, y)."""
    scale = 3
    scaled = work_dir / f"{path.stem}-boxes.png"
    subprocess.run(
        ["convert", str(path), "-colorspace", "Gray", "-resize", f"{scale * 100}%", str(scaled)],
        check=True,
    )
    tsv = subprocess.run(
        ["tesseract", str(scaled), "stdout", "-l", "eng", "tsv"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = []
    for line in tsv.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) == 12 and cells[11].strip():
            left, top, width, height = (int(v) for v in cells[6:10])
            centre = ((left + width / 2) / scale, (top + height / 2) / scale)
            words.append((cells[11].strip(), round(centre[0]), round(centre[1])))
    return words


class Input:
    """Synthetic mouse and keyboard input on a display through the XTEST extension (libXtst,
    loaded with ctypes; `available()` is False where it is not installed)."""

    KEYSYMS = {"-": "minus", ".": "period", " ": "space", "\n": "Return"}

    def __init__(self, display):
        import ctypes

        self.x11 = ctypes.CDLL("libX11.so.6")
        self.xtst = ctypes.CDLL("libXtst.so.6")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        self.x11.XStringToKeysym.restype = ctypes.c_ulong
        self.x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        self.x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        self.x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        fake = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        self.xtst.XTestFakeButtonEvent.argtypes = fake
        self.xtst.XTestFakeKeyEvent.argtypes = fake
        self.xtst.XTestFakeMotionEvent.argtypes = [
            ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong
        ]
        self.display = self.x11.XOpenDisplay(display.encode())
        if not self.display:
            raise RuntimeError(f"cannot open display {display}")

    @staticmethod
    def available():
        import ctypes.util

        return ctypes.util.find_library("Xtst") is not None

    def close(self):
        self.x11.XCloseDisplay(self.display)

    def _settle(self):
        self.x11.XFlush(self.display)
        time.sleep(POLL_S)

    def move(self, x, y):
        """Moves the pointer to (x, y) on the screen."""
        self.xtst.XTestFakeMotionEvent(self.display, -1, x, y, 0)
        self._settle()

    def click(self, x, y):
        """A left click at (x, y) on the screen."""
        self.move(x, y)
        self.xtst.XTestFakeButtonEvent(self.display, 1, 1, 0)
        self._settle()
        self.xtst.XTestFakeButtonEvent(self.display, 1, 0, 0)
        self._settle()

    def key(self, keysym, modifier=None):
        """Presses and releases one key (optionally with a modifier key held)."""
        code = self.x11.XKeysymToKeycode(self.display, self.x11.XStringToKeysym(keysym.encode()))
        held = None
        if modifier:
            held = self.x11.XKeysymToKeycode(
                self.display, self.x11.XStringToKeysym(modifier.encode())
            )
            self.xtst.XTestFakeKeyEvent(self.display, held, 1, 0)
        self.xtst.XTestFakeKeyEvent(self.display, code, 1, 0)
        self.xtst.XTestFakeKeyEvent(self.display, code, 0, 0)
        if held is not None:
            self.xtst.XTestFakeKeyEvent(self.display, held, 0, 0)
        self._settle()

    def type(self, text):
        """Types `text` (digits, letters, "-", ".", " ", newline)."""
        for ch in text:
            self.key(self.KEYSYMS.get(ch, ch))


def window_origin(display, window_id):
    """(x, y) of the window's top-left corner on the screen."""
    info = subprocess.run(
        ["xwininfo", "-display", display, "-id", window_id],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    x = re.search(r"Absolute upper-left X:\s+(-?\d+)", info)
    y = re.search(r"Absolute upper-left Y:\s+(-?\d+)", info)
    return int(x.group(1)), int(y.group(1))
