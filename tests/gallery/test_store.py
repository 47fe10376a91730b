"""The gallery store: round trips, filters, delete/undo, lineage, bad files, crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.gallery import Gallery, GalleryError
from studio.imaging.decode import DecodeLimits, ImageError
from studio.imaging.metadata import save_image


def _img(seed: int, size: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def test_keep_and_open_give_the_same_pixels_and_recipe(tmp_path: Path) -> None:
    g = Gallery(tmp_path / "g")
    img = _img(1)
    recipe = {"seed": 5, "truncation": 0.7, "edits": [1.5, 0.0], "layers": [0, 4]}
    item = g.keep(img, recipe, model="emoji-gan", model_sha256="ab" * 32, tags=["fav"])
    again = Gallery(tmp_path / "g").get(item.id)
    assert np.array_equal(g.image(item.id), img)
    assert again.recipe == {**recipe, "model": "emoji-gan"}
    assert again.model_sha256 == "ab" * 32 and again.tags == ["fav"]
    assert g.thumbnail(item.id).startswith(b"\x89PNG")


def test_filters_by_model_favourite_tag_and_text(tmp_path: Path) -> None:
    g = Gallery(tmp_path)
    a = g.keep(_img(1), {"seed": 1}, model="emoji-gan", tags=["cats"])
    b = g.keep(_img(2), {"seed": 2}, model="emoji-vae", title="blue dog")
    c = g.keep(_img(3), {"seed": 3}, model="emoji-gan")
    g.set_favourite(c.id, True)
    assert g.ids(model="emoji-gan") == [c.id, a.id]
    assert g.ids(favourites=True) == [c.id]
    assert g.ids(tag="cats") == [a.id]
    assert g.ids(text="dog") == [b.id]
    assert g.ids(text="cat") == [a.id]
    assert g.models() == ["emoji-gan", "emoji-vae"]


def test_delete_is_undoable_and_purge_removes_files(tmp_path: Path) -> None:
    g = Gallery(tmp_path)
    items = [g.keep(_img(i), {"seed": i}, model="m") for i in range(3)]
    g.delete([items[0].id, items[1].id])
    assert g.count() == 1
    with pytest.raises(KeyError):
        g.get(items[0].id)
    g.restore([items[0].id])
    assert sorted(g.ids()) == [items[0].id, items[2].id]
    g.delete([items[2].id])
    assert g.purge() == 2
    assert not (g.images / items[2].file).exists()
    assert (g.images / items[0].file).exists()


def test_lineage_after_branching(tmp_path: Path) -> None:
    g = Gallery(tmp_path)
    root = g.keep(_img(1), {"seed": 1}, model="m")
    child = g.keep(_img(2), {"seed": 1, "edits": [1.0]}, model="m", parents=[root.id])
    grandchild = g.keep(_img(3), {"seed": 1}, model="m", parents=[child.id, root.id])
    assert g.get(child.id).parents == [root.id]
    assert g.get(grandchild.id).parents == sorted([child.id, root.id])


def test_import_restores_recipe_of_our_png(tmp_path: Path) -> None:
    g = Gallery(tmp_path / "g")
    recipe = {"model": "emoji-gan", "seed": 9, "truncation": 0.5, "model_sha256": "cd" * 32}
    path = save_image(_img(4), tmp_path / "in.png", recipe)
    item = g.import_file(path)
    assert item.model == "emoji-gan" and item.model_sha256 == "cd" * 32
    assert item.recipe is not None and item.recipe["seed"] == 9
    assert np.array_equal(g.image(item.id), _img(4))


def test_import_plain_and_converted_images(tmp_path: Path) -> None:
    g = Gallery(tmp_path / "g")
    plain = tmp_path / "plain.jpg"
    Image.fromarray(_img(5)).convert("CMYK").save(plain)
    item = g.import_file(plain)
    assert item.recipe is None and item.model == ""
    assert g.image(item.id).shape == (32, 32, 3)
    rgba = np.zeros((8, 8, 4), np.uint8)  # fully transparent → white background
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    assert (g.image(g.import_file(tmp_path / "alpha.png").id) == 255).all()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("zero.png", b""),
        ("text.png", b"hello, not an image"),
        ("trunc.png", None),
    ],
)
def test_bad_imports_are_refused_and_change_nothing(tmp_path: Path, name: str, data) -> None:
    g = Gallery(tmp_path / "g")
    path = tmp_path / name
    if data is None:
        save_image(_img(6, 64), path)
        data = path.read_bytes()[:200]
    path.write_bytes(data)
    with pytest.raises(ImageError):
        g.import_file(path)
    assert g.count() == 0
    assert list(g.images.iterdir()) == []


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    g = Gallery(tmp_path / "g")
    path = tmp_path / "big.png"
    Image.new("RGB", (300, 300)).save(path)
    with pytest.raises(ImageError, match="decompression bomb"):
        g.import_file(path, limits=DecodeLimits(max_pixels=200 * 200))
    assert g.count() == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores read-only permissions")
def test_read_only_gallery_gives_a_clear_message(tmp_path: Path) -> None:
    g = Gallery(tmp_path / "g")
    kept = g.keep(_img(1), {"seed": 1}, model="m")
    os.chmod(g.images, 0o500)
    try:
        with pytest.raises(GalleryError, match="read-only"):
            g.keep(_img(2), {"seed": 2}, model="m")
    finally:
        os.chmod(g.images, 0o700)
    assert g.ids() == [kept.id]


def test_read_only_folder_as_root_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    g = Gallery(tmp_path / "g")
    kept = g.keep(_img(1), {"seed": 1}, model="m")

    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(os, "replace", read_only)
    with pytest.raises(GalleryError, match="read-only"):
        g.keep(_img(2), {"seed": 2}, model="m")
    monkeypatch.undo()
    assert g.ids() == [kept.id]
    assert sorted(p.name for p in g.images.iterdir()) == [kept.file]


def test_full_disk_gives_a_clear_message_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = Gallery(tmp_path / "g")
    kept = g.keep(_img(1), {"seed": 1}, model="m")
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(GalleryError, match="disk is full"):
        g.keep(_img(2), {"seed": 2}, model="m")
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert g.ids() == [kept.id]
    assert sorted(p.name for p in g.images.iterdir()) == [kept.file]


KEEPER = textwrap.dedent(
    """
    import sys, numpy as np
    from studio.gallery import Gallery
    g = Gallery(sys.argv[1])
    i = 0
    while True:
        img = np.full((32, 32, 3), i % 256, np.uint8)
        item = g.keep(img, {"seed": i}, model="m", tags=["t"])
        print(item.id, flush=True)
        i += 1
    """
)


def test_sigkill_during_keeps_never_corrupts(tmp_path: Path) -> None:
    """Kill a process mid-burst 20 times: every returned keep survives, nothing is half."""
    root = tmp_path / "g"
    returned: set[int] = set()
    for round_ in range(20):
        proc = subprocess.Popen(
            [sys.executable, "-c", KEEPER, str(root)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        # Let it get going, then kill it at a varying moment mid-keep.
        first = proc.stdout.readline()
        assert first.strip(), "the keeper process did not start"
        returned.add(int(first))
        time.sleep(0.005 * (round_ % 7))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        returned.update(int(line) for line in out.split() if line.strip())
        g = Gallery(root)
        ids = set(g.ids())
        assert returned <= ids, "an item whose keep returned was lost"
        for item_id in ids:
            item = g.get(item_id)
            assert (g.images / item.file).is_file(), "a row points at a missing file"
            assert item.tags == ["t"] and item.recipe is not None
            assert g.image(item_id).shape == (32, 32, 3)
        g.close()
