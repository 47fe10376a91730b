"""Unicode's emoji groups as class labels: parsing emoji-test.txt and class folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import studio.training.emoji as emoji
from studio.training.emoji import FontError, build_emoji_folder, find_emoji_font
from studio.training.emoji_groups import (
    UNLISTED,
    EmojiTestError,
    class_slug,
    codepoints_in,
    find_emoji_test,
    read_emoji_classes,
)

# The shape of Unicode's file, cut down: groups, subgroups, a variation selector, a
# sequence, an unqualified repeat and a status line in a comment.
EMOJI_TEST = """\
# emoji-test.txt
# Version: 15.0

# group: Smileys & Emotion

# subgroup: face-smiling
1F600  ; fully-qualified     # 😀 E1.0 grinning face
1F603  ; fully-qualified     # 😃 E0.6 grinning face with big eyes

# subgroup: heart
2764 FE0F  ; fully-qualified     # ❤️ E0.6 red heart
2764  ; unqualified         # ❤ E0.6 red heart

# group: Animals & Nature

# subgroup: animal-mammal
1F436  ; fully-qualified     # 🐶 E0.6 dog face
1F415 200D 1F9BA  ; fully-qualified     # 🐕‍🦺 E12.0 service dog

#EOF
"""


@pytest.fixture
def emoji_test(tmp_path: Path) -> Path:
    path = tmp_path / "emoji-test.txt"
    path.write_text(EMOJI_TEST, encoding="utf-8")
    return path


def test_subgroups_and_groups_of_single_code_points(emoji_test: Path) -> None:
    sub = read_emoji_classes(emoji_test, "subgroup")
    assert sub == {
        0x1F600: "face-smiling",
        0x1F603: "face-smiling",
        0x2764: "heart",  # the variation selector is not a second code point
        0x1F436: "animal-mammal",
    }  # the ZWJ sequence has no code point of its own
    group = read_emoji_classes(emoji_test, "group")
    assert group[0x2764] == "smileys-emotion" and group[0x1F436] == "animals-nature"


def test_code_points_of_groups_and_subgroups(emoji_test: Path) -> None:
    assert codepoints_in(emoji_test, ["smileys-emotion"]) == [0x2764, 0x1F600, 0x1F603]
    assert codepoints_in(emoji_test, ["Smileys & Emotion"]) == [0x2764, 0x1F600, 0x1F603]
    assert codepoints_in(emoji_test, ["heart", "animal-mammal"]) == [0x2764, 0x1F436]
    with pytest.raises(EmojiTestError, match=r"called smileys\. Groups: animals-nature, "):
        codepoints_in(emoji_test, ["smileys", "heart"])


def test_class_slugs_are_folder_names() -> None:
    assert class_slug("Smileys & Emotion") == "smileys-emotion"
    assert class_slug("sky & weather") == "sky-weather"
    assert class_slug("&&") == UNLISTED


def test_bad_files_and_levels_are_refused_in_plain_words(tmp_path: Path, emoji_test: Path) -> None:
    with pytest.raises(EmojiTestError, match="group or subgroup"):
        read_emoji_classes(emoji_test, "colour")
    junk = tmp_path / "junk.txt"
    junk.write_text("just some words\nand more ; words\n")
    with pytest.raises(EmojiTestError, match="lists no emoji"):
        read_emoji_classes(junk)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(EmojiTestError, match="Cannot read"):
        read_emoji_classes(binary)
    with pytest.raises(EmojiTestError, match="not text; is it Unicode's emoji-test"):
        codepoints_in(binary, ["heart"])
    with pytest.raises(EmojiTestError, match="lists no emoji"):
        codepoints_in(junk, ["heart"])


def test_missing_file_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(EmojiTestError, match="unicode-data"):
        find_emoji_test(str(tmp_path / "nope.txt"))
    import studio.training.emoji_groups as groups

    monkeypatch.setattr(groups, "EMOJI_TEST_PATHS", (str(tmp_path / "nowhere.txt"),))
    with pytest.raises(EmojiTestError, match="--emoji-test"):
        find_emoji_test()


def test_class_folders_from_the_font(
    tmp_path: Path, emoji_test: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        font = find_emoji_font()
    except FontError:
        pytest.skip("no CBDT emoji font here (install fonts-noto-color-emoji)")
    names = emoji.glyph_codepoints(font)
    by_cp = {cp: name for name, cps in names.items() for cp in cps}
    wanted = [by_cp[0x1F600], by_cp[0x2764], by_cp[0x1F436], by_cp[0x1F680]]  # 🚀 unlisted
    bitmaps = [b for b in emoji.iter_cbdt_bitmaps(font) if b[0] in wanted]
    monkeypatch.setattr(emoji, "iter_cbdt_bitmaps", lambda path: bitmaps)
    count, problems = build_emoji_folder(
        tmp_path / "c", 16, str(font), classes="subgroup", emoji_test=str(emoji_test)
    )
    assert (count, problems) == (4, [])
    out = tmp_path / "c"
    found = {p.parent.name: p.stem for p in out.glob("*/*.png")}
    assert found == {
        "face-smiling": emoji._safe_name(by_cp[0x1F600]),
        "heart": emoji._safe_name(by_cp[0x2764]),
        "animal-mammal": emoji._safe_name(by_cp[0x1F436]),
        UNLISTED: emoji._safe_name(by_cp[0x1F680]),
    }
    assert not list(out.glob("*.png")), "with classes, every image is in a class folder"
    info = json.loads((out / "DATASET.json").read_text())
    assert "subgroups" in info["classes"] and "single" in info["subset"]

    # The training loader reads those folders as classes.
    from studio.training.dataset import load_folder

    data = load_folder(out, 16, holdout=0.0)
    assert data.classes == ["animal-mammal", "face-smiling", "heart", UNLISTED]

    # One class per emoji: each image in a folder of its own; emoji-test.txt is not read.
    count, _ = build_emoji_folder(tmp_path / "e", 16, str(font), classes="each", emoji_test="no")
    each = tmp_path / "e"
    assert count == 4 and sorted(p.parent.name for p in each.glob("*/*.png")) == sorted(
        p.stem for p in each.glob("*/*.png")
    )
    assert len(load_folder(each, 16, holdout=0.0).classes) == 4
    assert json.loads((each / "DATASET.json").read_text())["classes"] == "one per emoji"

    # Only some groups: the images of those, flat, and the folder says which groups.
    only = tmp_path / "only"
    count, _ = build_emoji_folder(
        only, 16, str(font), groups=["heart", "Animals & Nature"], emoji_test=str(emoji_test)
    )
    assert count == 2
    assert sorted(p.stem for p in only.glob("*.png")) == sorted(
        emoji._safe_name(by_cp[cp]) for cp in (0x2764, 0x1F436)
    )
    info = json.loads((only / "DATASET.json").read_text())
    assert info["groups"] == ["animals-nature", "heart"] and "codepoints" not in info
    assert info["name"] == "Noto Color Emoji (animals-nature, heart)"


def test_a_bad_emoji_test_file_writes_nothing(tmp_path: Path, emoji_test: Path) -> None:
    try:
        font = find_emoji_font()
    except FontError:
        pytest.skip("no CBDT emoji font here (install fonts-noto-color-emoji)")
    with pytest.raises(EmojiTestError):
        build_emoji_folder(tmp_path / "x", 16, str(font), classes="subgroup", emoji_test="nope")
    assert not (tmp_path / "x").exists()


def test_an_unknown_group_writes_nothing_even_without_the_font(
    tmp_path: Path, emoji_test: Path
) -> None:
    with pytest.raises(EmojiTestError, match="called smileys"):
        no_font = str(tmp_path / "no.ttf")
        build_emoji_folder(
            tmp_path / "x", 16, no_font, groups=["smileys"], emoji_test=str(emoji_test)
        )
    assert not (tmp_path / "x").exists()
