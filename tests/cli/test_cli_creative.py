"""``latent-studio mix`` and ``variations``: files with recipes, remade by ``render``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.cli.parser import main
from studio.imaging.metadata import read_recipe


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def _one(folder: Path) -> Path:
    (found,) = sorted(folder.glob("*.png"))
    return found


def _render(path: Path, out: Path) -> Path:
    assert main(["render", str(path), "--out", str(out), "--device", "cpu"]) == 0
    return out / (path.stem + "-render.png")


def test_mix_with_weight_one_is_its_parent_and_renders_again(model_dir, tmp_path):
    argv = ["mix", "tiny-gan:1", "tiny-gan:2", "--device", "cpu"]
    assert main([*argv, "--weights", "0:1", "--out", str(tmp_path / "m")]) == 0
    child = _one(tmp_path / "m")
    assert main(["mix", "tiny-gan:2", "tiny-gan:2", "--out", str(tmp_path / "p")]) == 0
    assert np.array_equal(_pixels(child), _pixels(_one(tmp_path / "p")))
    recipe = read_recipe(child.read_bytes())
    assert recipe["kind"] == "mix" and len(recipe["parents"]) == 2
    remade = _render(child, tmp_path / "r")
    assert np.array_equal(_pixels(remade), _pixels(child))
    assert read_recipe(remade.read_bytes())["kind"] == "mix"
    # The disclosure and the file mode, as generate writes them.
    assert b"trainedAlgorithmicMedia" in child.read_bytes()
    umask = os.umask(0)
    os.umask(umask)
    assert child.stat().st_mode & 0o777 == 0o666 & ~umask


def test_mix_takes_images_and_band_weights(model_dir, tmp_path):
    gen = tmp_path / "gen"
    assert main(["generate", "--model", "tiny-gan", "--count", "2", "--out", str(gen)]) == 0
    a, b = sorted(gen.glob("*.png"))
    weights = "coarse=1:0,middle=0.5:0.5,fine=0:1"
    assert main(["mix", str(a), str(b), "--weights", weights, "--out", str(tmp_path / "m")]) == 0
    child = _one(tmp_path / "m")
    assert np.array_equal(_pixels(_render(child, tmp_path / "r")), _pixels(child))


def test_vae_mix(model_dir, tmp_path):
    argv = ["mix", "tiny-vae:1", "tiny-vae:2", "--weights", "0.3:0.7", "--out", str(tmp_path)]
    assert main(argv) == 0
    child = _one(tmp_path)
    assert read_recipe(child.read_bytes())["weights"] == [[0.3], [0.7]]


def test_variations_write_count_images_that_render_again(model_dir, tmp_path):
    argv = ["variations", "tiny-gan:4", "--count", "3", "--spread", "0.8", "--layers", "1-2"]
    assert main([*argv, "--seed", "5", "--out", str(tmp_path / "v")]) == 0
    kids = sorted((tmp_path / "v").glob("*.png"))
    assert len(kids) == 3
    recipe = read_recipe(kids[2].read_bytes())
    assert recipe["kind"] == "variation" and recipe["index"] == 2 and recipe["layers"] == [1, 3]
    assert np.array_equal(_pixels(_render(kids[2], tmp_path / "r")), _pixels(kids[2]))
    # Same seed, same children.
    assert main([*argv, "--seed", "5", "--out", str(tmp_path / "again")]) == 0
    again = sorted((tmp_path / "again").glob("*.png"))
    assert all(np.array_equal(_pixels(x), _pixels(y)) for x, y in zip(kids, again, strict=True))


def test_variations_of_a_mix_image(model_dir, tmp_path):
    assert main(["mix", "tiny-gan:1", "tiny-gan:2", "--out", str(tmp_path / "m")]) == 0
    child = _one(tmp_path / "m")
    assert main(["variations", str(child), "--count", "2", "--out", str(tmp_path / "v")]) == 0
    assert len(list((tmp_path / "v").glob("*.png"))) == 2


@pytest.fixture
def odd_files(tmp_path):
    (tmp_path / "notes.png").write_text("not an image at all")
    Image.new("RGB", (8, 8)).save(tmp_path / "plain.png")
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["mix", "tiny-gan:1", "tiny-vae:2"], "different models"),
        (["mix", "tiny-gan:1"], "two parents"),
        (["mix", "tiny-gan:1", "{dir}/notes.png"], "not an image"),
        (["mix", "tiny-gan:1", "{dir}/plain.png"], "no Latent Studio recipe"),
        (["mix", "tiny-gan:1", "nowhere"], "neither an image file nor MODEL:SEED"),
        (["mix", "tiny-gan:1", "tiny-gan:2", "--weights", "coarse=1"], "weights"),
        (["mix", "tiny-gan:1", "tiny-gan:2", "--weights", "0:0"], "weight is 0"),
        (["mix", "tiny-gan:1", "tiny-gan:2", "--weights", "fine=x:1"], "not numbers"),
        (["mix", "tiny-vae:1", "tiny-vae:2", "--weights", "fine=1:0"], "one weight per parent"),
        (["mix", "nomodel:1", "nomodel:2"], "nomodel"),
        (["variations", "tiny-gan:1", "--count", "0"], "1 to 64"),
        (["variations", "tiny-gan:1", "--count", "65"], "1 to 64"),
        (["variations", "tiny-gan:1", "--spread", "nan"], "spread"),
        (["variations", "tiny-gan:1", "--spread", "inf"], "spread"),
        (["variations", "tiny-gan:1", "--layers", "3-1"], "--layers"),
        (["variations", "tiny-gan:1", "--layers", "0-99"], "synthesis layers"),
        (["variations", "tiny-vae:1", "--layers", "0-1"], "no synthesis layers"),
        (["variations", "{dir}/notes.png"], "not an image"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(model_dir, odd_files, capsys, argv, needle):
    out = odd_files / "out"
    argv = [a.replace("{dir}", str(odd_files)) for a in argv]
    assert main([*argv, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert needle in err
    assert err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("recipe", "needle"),
    [
        ({"kind": "mix", "model": "tiny-gan", "parents": [], "weights": []}, "2 to 16 parents"),
        (
            {
                "kind": "mix",
                "model": "tiny-gan",
                "parents": [{"model": "tiny-gan"}, {"model": "tiny-vae"}],
                "weights": [[1], [1]],
            },
            "different models",
        ),
        (
            {"kind": "variation", "model": "tiny-gan", "parent": {"model": "tiny-gan"}},
            "numbers are missing",
        ),
    ],
)
def test_render_refuses_a_malformed_mix_in_one_line(model_dir, tmp_path, capsys, recipe, needle):
    from studio.imaging.metadata import save_image

    source = tmp_path / "bad.png"
    save_image(np.zeros((8, 8, 3), np.uint8), source, recipe=recipe)
    assert main(["render", str(source), "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()
