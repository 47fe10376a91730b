"""Can the window open here? Checked before Qt is asked, so a missing display or a
missing system library is one plain line instead of Qt's abort (SIGABRT, exit 134).

Qt's xcb plugin names only the first library it misses; :func:`missing_xcb_libraries`
asks ``ldd`` for all of them, and :func:`apt_packages` turns them into the Debian/Ubuntu
packages to install. Nothing here imports Qt, so it runs before ``QApplication``.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

# Platforms that need no display server at all.
HEADLESS_PLATFORMS = {
    "offscreen",
    "minimal",
    "minimalegl",
    "linuxfb",
    "eglfs",
    "vnc",
    "vkkhrdisplay",
}
HELP_HINT = "the command line works without one: latent-studio --help"

# What the xcb platform plugin needs (Qt 6.5+), soname → Debian/Ubuntu package.
XCB_PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
}
NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)

Runner = Callable[[Sequence[str]], str]


def chosen_platform(env: Mapping[str, str]) -> str:
    """The Qt platform plugin Qt will try first here ("" = its default)."""
    raw = env.get("QT_QPA_PLATFORM", "").strip()
    # "xcb:option=1" takes options; Qt 6 also takes fallbacks as "wayland;xcb".
    return raw.split(";")[0].split(":")[0].strip().lower()


def uses_xcb(env: Mapping[str, str]) -> bool:
    """Whether Qt will load its xcb (X11) plugin rather than Wayland or a headless one."""
    platform = chosen_platform(env)
    if platform:
        return platform == "xcb"
    wayland = bool(env.get("WAYLAND_DISPLAY")) and env.get("XDG_SESSION_TYPE") == "wayland"
    return bool(env.get("DISPLAY")) and not wayland


def no_display(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """True where the window has nowhere to go: Linux (or BSD) with no X11 or Wayland
    display and no headless Qt platform asked for."""
    if platform.startswith(("win", "darwin", "cygwin")):
        return False
    qpa = chosen_platform(env)
    if qpa in HEADLESS_PLATFORMS:
        return False
    if qpa == "xcb":
        return not env.get("DISPLAY")
    if qpa.startswith("wayland"):
        return not env.get("WAYLAND_DISPLAY")
    return not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def qt_xcb_files() -> list[Path]:
    """The xcb platform plugin and Qt's xcb integration library of the installed PySide6
    (those that exist)."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.origin:
        return []
    qt = Path(spec.origin).parent / "Qt"
    candidates = [
        qt / "plugins" / "platforms" / "libqxcb.so",
        *sorted(qt.glob("lib/libQt6XcbQpa.so*")),
    ]
    return [p for p in candidates if p.is_file()]


def run_ldd(args: Sequence[str]) -> str:
    """``ldd`` output for ``args`` ("" when ldd is missing or fails)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return ""
    try:
        done = subprocess.run([ldd, *args], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_xcb_libraries(
    files: Sequence[Path] | None = None,
    runner: Runner = run_ldd,
    loadable: Callable[[str], bool] = _loadable,
) -> list[str]:
    """Sonames the xcb plugin needs that this system lacks, in ``ldd``'s order.

    ``ldd`` lists every one (Qt stops at the first); without ``ldd`` each known xcb
    library is tried with the dynamic loader instead.
    """
    files = qt_xcb_files() if files is None else list(files)
    if not files:
        return []
    out = runner([str(p) for p in files])
    if out:
        missing: list[str] = []
        for name in NOT_FOUND.findall(out):
            if name not in missing:
                missing.append(name)
        return missing
    return [name for name in XCB_PACKAGES if not loadable(name)]


def package_for(soname: str) -> str:
    """The Debian/Ubuntu package that ships ``soname`` (by Debian's naming rule when it
    is not one we know: ``libfoo.so.3`` → ``libfoo3``, ``libfoo2.so.1`` → ``libfoo2-1``)."""
    if soname in XCB_PACKAGES:
        return XCB_PACKAGES[soname]
    match = re.match(r"^(lib[\w.+-]*?)\.so\.(\d+)", soname)
    if not match:
        return soname
    stem, version = match.group(1).lower(), match.group(2)
    return f"{stem}-{version}" if stem[-1].isdigit() else f"{stem}{version}"


def apt_packages(sonames: Sequence[str]) -> list[str]:
    """The packages for ``sonames``, each once, in order."""
    packages: list[str] = []
    for name in sonames:
        package = package_for(name)
        if package not in packages:
            packages.append(package)
    return packages


def x_server_reachable() -> bool:
    """Whether libxcb connects to the X server ``DISPLAY`` names (True when libxcb itself
    cannot be loaded: the missing-library check reports that)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = xcb.xcb_connect(None, None)
    if not conn:
        return False
    try:
        return xcb.xcb_connection_has_error(conn) == 0
    finally:
        xcb.xcb_disconnect(conn)  # an error connection is freed the same way


def display_problem(
    env: Mapping[str, str] | None = None,
    platform: str = sys.platform,
    missing: Callable[[], list[str]] = missing_xcb_libraries,
    reachable: Callable[[], bool] = x_server_reachable,
) -> str:
    """One line saying why the window cannot open here, or "" when it can (as far as
    can be told without starting Qt)."""
    env = os.environ if env is None else env
    if no_display(env, platform):
        return (
            "No display found (DISPLAY and WAYLAND_DISPLAY are not set), so the window "
            f"cannot open; {HELP_HINT}."
        )
    if platform.startswith("linux") and uses_xcb(env):
        libraries = missing()
        if libraries:
            packages = " ".join(apt_packages(libraries))
            return (
                "Qt's X11 (xcb) platform plugin cannot load: this system lacks "
                f"{', '.join(libraries)}. Install them with: sudo apt-get install {packages}"
            )
        if not reachable():
            return (
                f"Cannot connect to the X display {env.get('DISPLAY', '')!r}, so the window "
                f"cannot open; {HELP_HINT}."
            )
    return ""
