"""The emoji data builder: reads the Noto Color Emoji CBDT bitmaps, or says what to install."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import studio.training.emoji as emoji
from studio.training.emoji import FontError, build_emoji_folder, find_emoji_font


def _font() -> Path:
    try:
        return find_emoji_font()
    except FontError:
        pytest.skip("no CBDT emoji font here (install fonts-noto-color-emoji)")


def test_missing_font_path_names_the_package(tmp_path):
    with pytest.raises(FontError, match="fonts-noto-color-emoji") as info:
        find_emoji_font(str(tmp_path / "NotoColorEmoji.ttf"))
    assert "NotoColorEmoji.ttf" in str(info.value)


def test_no_font_anywhere_names_the_package(monkeypatch):
    monkeypatch.setattr(emoji, "DEFAULT_FONT_PATHS", ())
    with pytest.raises(FontError, match="fonts-noto-color-emoji"):
        find_emoji_font()
    with pytest.raises(FontError, match="fonts-noto-color-emoji"):
        build_emoji_folder("/unused", 32)


def test_a_file_that_is_not_a_font_is_refused(tmp_path):
    bogus = tmp_path / "fake.ttf"
    bogus.write_bytes(b"definitely not a font" * 10)
    with pytest.raises(FontError, match="fake.ttf"):
        emoji.iter_cbdt_bitmaps(bogus)


def test_iter_cbdt_bitmaps_yields_pngs():
    bitmaps = emoji.iter_cbdt_bitmaps(_font())
    assert len(bitmaps) > 100
    names = [n for n, _ in bitmaps]
    assert len(set(names)) == len(names)
    for _, data in bitmaps[:20]:
        assert data.startswith(b"\x89PNG\r\n\x1a\n")


def test_build_emoji_folder_writes_pngs_and_provenance(tmp_path, monkeypatch):
    font = _font()
    subset = emoji.iter_cbdt_bitmaps(font)[:5]
    monkeypatch.setattr(emoji, "iter_cbdt_bitmaps", lambda path: subset)
    seen: list[tuple[int, int]] = []
    count, problems = build_emoji_folder(
        tmp_path / "emoji", 32, str(font), lambda done, total: seen.append((done, total))
    )
    assert (count, problems) == (5, [])
    pngs = sorted((tmp_path / "emoji").glob("*.png"))
    assert len(pngs) == 5
    for p in pngs:
        with Image.open(p) as img:
            assert img.size == (32, 32) and img.mode == "RGB"
            assert np.asarray(img).std() > 0  # a picture, not a blank square
    info = json.loads((tmp_path / "emoji" / "DATASET.json").read_text())
    assert info["count"] == 5 and info["size"] == 32
    assert info["licence"] == "Apache-2.0" and "fonts-noto-color-emoji" in info["source"]
    assert seen[-1] == (5, 5)


def test_undecodable_bitmaps_are_reported_not_fatal(tmp_path, monkeypatch):
    font = _font()
    good = emoji.iter_cbdt_bitmaps(font)[:2]
    monkeypatch.setattr(emoji, "iter_cbdt_bitmaps", lambda path: [*good, ("broken", b"xx")])
    count, problems = build_emoji_folder(tmp_path / "e", 16, str(font))
    assert count == 2
    assert len(problems) == 1 and problems[0].startswith("broken")


def test_build_emoji_folder_can_take_only_some_code_points(tmp_path):
    font = _font()
    count, problems = build_emoji_folder(
        tmp_path / "faces", 32, str(font), only=iter([0x1F600, 0x1F60D])
    )
    assert count == 2 and not problems
    files = sorted(p.name for p in (tmp_path / "faces").glob("*.png"))
    assert len(files) == 2
    with Image.open(tmp_path / "faces" / files[0]) as im:
        assert im.size == (32, 32)
    info = json.loads((tmp_path / "faces" / "DATASET.json").read_text())
    assert info["codepoints"] == ["U+1F600", "U+1F60D"] and "subset" in info["name"]


def _mixed_bitmaps(font: Path) -> tuple[list[tuple[str, bytes]], set[str]]:
    """Three glyphs of single code points and three reached only through sequences."""
    singles = emoji.glyph_names(font)
    bitmaps = emoji.iter_cbdt_bitmaps(font)
    ones = [b for b in bitmaps if b[0] in singles][:3]
    seqs = [b for b in bitmaps if b[0] not in singles][:3]
    assert len(ones) == 3 and len(seqs) == 3, "the font should have both kinds of glyph"
    return [*seqs, *ones], {n for n, _ in ones}


def test_singles_leave_out_sequence_glyphs(tmp_path, monkeypatch):
    font = _font()
    mixed, single_names = _mixed_bitmaps(font)
    monkeypatch.setattr(emoji, "iter_cbdt_bitmaps", lambda path: mixed)
    count, problems = build_emoji_folder(tmp_path / "s", 16, str(font), singles=True)
    assert (count, problems) == (3, [])
    written = {p.stem for p in (tmp_path / "s").glob("*.png")}
    assert written == {emoji._safe_name(n) for n in single_names}
    info = json.loads((tmp_path / "s" / "DATASET.json").read_text())
    assert info["count"] == 3 and "subset" in info["name"] and "single" in info["subset"]
    # Without the option every glyph is kept.
    assert build_emoji_folder(tmp_path / "all", 16, str(font))[0] == 6


def _fake_font(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, n: int) -> str:
    """A stand-in font of ``n`` small PNG bitmaps, so no real font is needed."""
    import io

    bitmaps = []
    for i in range(n):
        buf = io.BytesIO()
        Image.new("RGB", (20, 20), (10 * i, 100, 200)).save(buf, "PNG")
        bitmaps.append((f"glyph{i}", buf.getvalue()))
    monkeypatch.setattr(emoji, "iter_cbdt_bitmaps", lambda path: bitmaps)
    font = tmp_path / "fake.ttf"
    font.write_bytes(b"")
    return str(font)


def _stop_after(count: int, error: BaseException):
    def progress(done: int, total: int) -> None:
        if done == count:
            raise error

    return progress


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError(28, "No space left on device")])
def test_a_cancelled_or_failed_build_takes_back_what_it_wrote(tmp_path, monkeypatch, error):
    font = _fake_font(tmp_path, monkeypatch, 6)
    out = tmp_path / "new" / "emoji"
    with pytest.raises(type(error)):
        build_emoji_folder(out, 16, font, _stop_after(4, error))
    assert not (tmp_path / "new").exists(), "the folders it made go too"
    # One folder per image: those are taken back as well.
    with pytest.raises(type(error)):
        build_emoji_folder(out, 16, font, _stop_after(4, error), classes="each")
    assert not (tmp_path / "new").exists()


def test_a_cancel_leaves_what_was_there_before(tmp_path, monkeypatch):
    font = _fake_font(tmp_path, monkeypatch, 6)
    out = tmp_path / "emoji"
    assert build_emoji_folder(out, 16, font)[0] == 6  # an earlier, finished build
    (out / "mine.txt").write_text("the user's own file")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(KeyboardInterrupt):
        build_emoji_folder(out, 16, font, _stop_after(3, KeyboardInterrupt()))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
