"""``latent-studio gene make`` and ``generate --gene``: files, recipes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from studio.cli.parser import main
from studio.imaging.metadata import read_recipe
from studio.models.checkpoint import load_checkpoint
from studio.pipelines.genes import read_gene
from studio.pipelines.render import Recipe, edited_latent


def _pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def _make(tmp_path: Path, model="tiny-gan", pos=("1", "2"), neg=("3", "4"), *extra) -> Path:
    out = tmp_path / "smiling.gene.json"
    argv = ["gene", "make", "--model", model, "--name", "smiling", "--out", str(out)]
    argv += ["--positive", *(f"{model}:{s}" for s in pos)]
    argv += ["--negative", *(f"{model}:{s}" for s in neg), "--device", "cpu", *extra]
    assert main(argv) == 0
    return out


def _error(capsys, argv) -> str:
    assert main(argv) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("latent-studio: ") and "\n" not in err and "Traceback" not in err
    return err


@pytest.mark.parametrize("model", ["tiny-gan", "tiny-vae"])
def test_gene_make_points_from_negatives_to_positives(model_dir, tmp_path, model):
    path = _make(tmp_path, model)
    gene = read_gene(path.read_bytes())
    assert gene.name == "smiling" and gene.space == ("w" if model == "tiny-gan" else "z")
    loaded = load_checkpoint(model_dir / f"{model}.safetensors", torch.device("cpu"))

    def lat(seed):
        x = edited_latent(loaded, Recipe(loaded.name, seed))
        return (x.mean(1) if loaded.kind == "gan" else x)[0].numpy()

    true = (lat(1) + lat(2)) / 2 - (lat(3) + lat(4)) / 2
    cos = gene.vector @ true / np.linalg.norm(gene.vector) / np.linalg.norm(true)
    assert cos > 0.999


def test_gene_make_from_images_and_orthogonal_to_pca(model_dir, tmp_path):
    gen = tmp_path / "gen"
    assert main(["generate", "--model", "tiny-gan", "--count", "3", "--out", str(gen)]) == 0
    a, b, c = sorted(gen.glob("*.png"))
    out = tmp_path / "g.json"
    argv = ["gene", "make", "--model", "tiny-gan", "--name", "g", "--out", str(out)]
    argv += ["--positive", str(a), str(b), "--negative", str(c), "--orthogonal-pca", "3"]
    assert main(argv) == 0
    gene = read_gene(out.read_bytes())
    from studio.engine.handlers import DirectionStore

    loaded = load_checkpoint(model_dir / "tiny-gan.safetensors", torch.device("cpu"))
    comps = DirectionStore().get(loaded, 12).components[:3]
    assert np.abs(comps @ gene.vector).max() < 1e-4 * np.linalg.norm(gene.vector)


def test_generate_with_a_gene_records_it_and_renders_bit_for_bit(model_dir, tmp_path):
    gene = _make(tmp_path)
    plain, moved = tmp_path / "plain", tmp_path / "moved"
    argv = ["generate", "--model", "tiny-gan", "--count", "2", "--seed", "7", "--device", "cpu"]
    assert main([*argv, "--out", str(plain)]) == 0
    assert main([*argv, "--out", str(moved), "--gene", f"{gene}=2.5"]) == 0
    first = sorted(moved.glob("*.png"))[0]
    recipe = read_recipe(first.read_bytes())
    assert recipe["genes"][0]["name"] == "smiling" and recipe["genes"][0]["amount"] == 2.5
    assert "genes" not in read_recipe(sorted(plain.glob("*.png"))[0].read_bytes())
    assert not np.array_equal(_pixels(first), _pixels(sorted(plain.glob("*.png"))[0]))
    out = tmp_path / "r"
    assert main(["render", str(first), "--out", str(out), "--device", "cpu"]) == 0
    remade = out / (first.stem + "-render.png")
    assert np.array_equal(_pixels(remade), _pixels(first))
    assert read_recipe(remade.read_bytes())["genes"] == recipe["genes"]


def test_gene_make_errors_are_one_line(model_dir, tmp_path, capsys):
    base = ["gene", "make", "--model", "tiny-gan", "--name", "g", "--device", "cpu"]
    out = ["--out", str(tmp_path / "g.json")]
    err = _error(capsys, [*base, *out, "--positive", "tiny-gan:1"])
    assert "at least one" in err
    err = _error(capsys, [*base, *out, "--positive", "tiny-gan:1", "--negative", "tiny-gan:1"])
    assert "same mean" in err
    err = _error(capsys, [*base, *out, "--positive", "tiny-vae:1", "--negative", "tiny-gan:2"])
    assert "not tiny-gan" in err
    err = _error(capsys, [*base, *out, "--positive", "nope", "--negative", "tiny-gan:2"])
    assert "neither an image file nor MODEL:SEED" in err
    bad = ["--positive", "tiny-gan:1", "--negative", "tiny-gan:2"]
    err = _error(capsys, [*base, "--out", str(tmp_path / "no" / "g.json"), *bad])
    assert "does not exist" in err
    assert not (tmp_path / "g.json").exists()


def test_generate_gene_errors_are_one_line(model_dir, tmp_path, capsys):
    base = ["generate", "--model", "tiny-gan", "--count", "1", "--out", str(tmp_path / "o")]
    gene = _make(tmp_path)
    assert "FILE=AMOUNT" in _error(capsys, [*base, "--gene", str(gene)])
    assert "±3" in _error(capsys, [*base, "--gene", f"{gene}=4"])
    assert "not a number" in _error(capsys, [*base, "--gene", f"{gene}=x"])
    junk = tmp_path / "junk.json"
    junk.write_text("[[[[[[")
    assert "gene file" in _error(capsys, [*base, "--gene", f"{junk}=1"])
    (tmp_path / "v").mkdir()
    vae_gene = _make(tmp_path / "v", "tiny-vae")
    err = _error(capsys, [*base, "--gene", f"{vae_gene}=1"])
    assert "numbers" in err or "space" in err
    other = json.loads(gene.read_text())
    other["model_sha256"] = "0" * 64
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps(other))
    assert "was made with" in _error(capsys, [*base, "--gene", f"{foreign}=1"])
    assert not (tmp_path / "o").exists()  # bad genes leave no folder behind
