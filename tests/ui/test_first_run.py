"""First run: no display, or an X display whose Qt plugin cannot load, is one plain line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.ui import display
from studio.ui.display import apt_packages, display_problem, missing_xcb_libraries, package_for

# What ldd printed on a fresh Debian 13 for PySide6 6.11's libqxcb.so (trimmed).
LDD_FRESH_DEBIAN = """\
libqxcb.so:
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /opt/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f2d)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f2d)
\tlibxcb-keysyms.so.1 => not found
/opt/PySide6/Qt/lib/libQt6XcbQpa.so.6:
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibX11.so.6 => /lib/x86_64-linux-gnu/libX11.so.6 (0x00007f2d)
"""


def fake_ldd(output: str):
    def run(args: object) -> str:
        return output

    return run


def test_no_display_is_one_line_naming_the_command_line() -> None:
    message = display_problem({}, "linux")
    assert "No display found" in message and "latent-studio --help" in message
    assert "\n" not in message
    # Wayland alone, X11 alone and headless platforms all open.
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") == ""
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") == ""
    assert display_problem({"QT_QPA_PLATFORM": "minimal:enable_fonts"}, "linux") == ""
    ok = {"DISPLAY": ":0"}
    assert display_problem(ok, "linux", missing=list, reachable=lambda: True) == ""
    # xcb asked for by name needs DISPLAY, whatever else is set.
    xcb_only = {"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}
    assert "No display found" in display_problem(xcb_only, "linux")
    assert display_problem({}, "win32") == "" and display_problem({}, "darwin") == ""


def test_every_missing_xcb_library_is_named_with_the_install_command() -> None:
    files = [Path("/opt/PySide6/Qt/plugins/platforms/libqxcb.so")]
    missing = missing_xcb_libraries(files, runner=fake_ldd(LDD_FRESH_DEBIAN))
    assert missing == ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    message = display_problem(
        {"DISPLAY": ":0"}, "linux", missing=lambda: missing, reachable=lambda: True
    )
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4, libxcb-keysyms.so.1" in message
    assert message.endswith("sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1")
    # Only where Qt will really use xcb: a Wayland session does not need them.
    wayland = {"DISPLAY": ":0", "WAYLAND_DISPLAY": "w-0", "XDG_SESSION_TYPE": "wayland"}
    assert display_problem(wayland, "linux", missing=lambda: missing) == ""


def test_without_ldd_each_known_library_is_tried() -> None:
    files = [Path("libqxcb.so")]
    missing = missing_xcb_libraries(
        files, runner=fake_ldd(""), loadable=lambda name: name != "libxcb-icccm.so.4"
    )
    assert missing == ["libxcb-icccm.so.4"]
    assert missing_xcb_libraries([], runner=fake_ldd(LDD_FRESH_DEBIAN)) == []


def test_package_names_follow_debian() -> None:
    assert package_for("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert package_for("libfoo.so.3") == "libfoo3"  # not in the table: Debian's rule
    assert package_for("libfoo2.so.1") == "libfoo2-1"
    assert apt_packages(["libxcb.so.1", "libxcb.so.1", "libX11.so.6"]) == ["libxcb1", "libx11-6"]


def test_an_unreachable_x_server_is_one_line() -> None:
    message = display_problem({"DISPLAY": ":77"}, "linux", missing=list, reachable=lambda: False)
    assert "Cannot connect to the X display ':77'" in message


def test_installed_plugin_is_found_and_complete_here() -> None:
    files = display.qt_xcb_files()
    if not files:
        pytest.skip("this PySide6 has no xcb plugin")
    assert files[0].name == "libqxcb.so"
    assert isinstance(missing_xcb_libraries(files), list)


def test_the_real_command_without_a_display_exits_cleanly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env["LATENT_STUDIO_HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "studio"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode not in (0, 134, -6), done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "No display found" in lines[0] and "latent-studio --help" in lines[0]


def test_first_frame_mode_paints_and_quits(model_dir: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LATENT_STUDIO_FIRST_FRAME="1")
    done = subprocess.run(
        [sys.executable, "-m", "studio"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "First frame painted in" in done.stdout and "offscreen" in done.stdout


def test_a_first_start_opens_on_the_models_showcase_seed(qtbot, model_dir: Path) -> None:
    from studio.models.identity import rewrite_metadata
    from studio.ui.persistence import showcase_seed

    from .helpers import open_window, wait_for_frame

    rewrite_metadata(model_dir / "tiny-gan.safetensors", {"default_seed": 17})
    window = open_window(qtbot)
    try:
        assert window.controller.state.model == "tiny-gan"
        assert window.controller.state.seed == 17
        wait_for_frame(qtbot, window)
    finally:
        window.close()
    # A damaged value is no seed at all.
    assert showcase_seed({"default_seed": -3}) == showcase_seed({"default_seed": "x"}) == 0
    assert showcase_seed({"default_seed": True}) == 0 and showcase_seed({}) == 0
