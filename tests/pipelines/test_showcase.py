"""The showcase seed: chosen by typicality, stored in the header, weights untouched."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import save_tiny_features
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from studio.cli import main as cli_main
from studio.models.checkpoint import file_sha256, load_checkpoint, read_header
from studio.models.identity import model_sha256, rewrite_metadata, tensors_sha256
from studio.pipelines.render import Recipe, render_image
from studio.pipelines.showcase import choose_seed, knn_distance, render_seeds, typicality


@pytest.fixture
def tiny_gan_path(model_dir: Path) -> Path:
    return model_dir / "tiny-gan.safetensors"


@pytest.fixture
def tiny_vae_path(model_dir: Path) -> Path:
    return model_dir / "tiny-vae.safetensors"


def test_knn_distance_ranks_the_sample_nearest_the_data_first() -> None:
    rng = np.random.default_rng(0)
    real = rng.normal(size=(40, 8)) + 5.0  # a cluster away from the origin
    fake = np.concatenate([real[:3] + 0.01, rng.normal(size=(5, 8))])
    scores, method = typicality(fake, real, k=3)
    assert set(np.argsort(scores)[:3]) == {0, 1, 2}
    assert "3 nearest of 40 real images" in method
    # Without data: density among the samples, each point's own distance left out.
    alone = knn_distance(fake, fake, k=2, same=True)
    assert np.all(alone > 0)
    assert np.argmax(alone) >= 3


def test_seeds_render_exactly_as_the_window_renders_them(tiny_gan_path: Path) -> None:
    model = load_checkpoint(tiny_gan_path)
    images = render_seeds(model, 3)
    for seed in range(3):
        assert np.array_equal(images[seed], render_image(model, Recipe(model.name, seed)))


def test_choose_seed_orders_all_seeds(tiny_gan_path: Path, tmp_path: Path) -> None:
    model = load_checkpoint(tiny_gan_path)
    net = load_checkpoint(save_tiny_features(tmp_path))
    real = render_seeds(model, 4)[[2]]  # "the data" is seed 2's own picture
    show = choose_seed(model, net, real, count=6)
    assert sorted(show.seeds.tolist()) == list(range(6))
    assert show.best == 2 and show.scores[0] == pytest.approx(0.0, abs=1e-6)
    assert np.all(np.diff(show.scores) >= 0)
    assert np.array_equal(show.images[0], render_image(model, Recipe(model.name, 2)))


def test_rewriting_metadata_keeps_tensors_and_identity(tiny_gan_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.safetensors"
    shutil.copy(tiny_gan_path, path)
    before_file, before_tensors = file_sha256(path), tensors_sha256(path)
    rewrite_metadata(path, {"default_seed": 7})
    assert read_header(path)["default_seed"] == 7
    assert file_sha256(path) != before_file  # the header changed…
    assert tensors_sha256(path) == before_tensors  # …the tensors did not
    assert model_sha256(path) == before_file  # old recipes still name this model
    with safe_open(str(tiny_gan_path), "pt") as a, safe_open(str(path), "pt") as b:
        assert set(a.keys()) == set(b.keys())
        for key in sorted(a.keys()):  # noqa: SIM118 (safe_open has no __iter__)
            assert torch.equal(a.get_tensor(key), b.get_tensor(key))
    rewrite_metadata(path, {"default_seed": 9})  # a second edit keeps the first identity
    assert model_sha256(path) == before_file
    load_checkpoint(path)  # still a valid model file


def test_identity_falls_back_to_the_file_when_the_tensors_change(
    tiny_gan_path: Path, tiny_vae_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "m.safetensors"
    shutil.copy(tiny_gan_path, path)
    rewrite_metadata(path, {"default_seed": 1})
    claimed = read_header(path)["identity"]
    # Other weights under metadata that claims the first model's identity must not pass
    # for it.
    other = tmp_path / "other.safetensors"
    meta = {**read_header(tiny_vae_path), "identity": claimed}
    save_file(load_file(str(tiny_vae_path)), str(other), {"latent_studio": json.dumps(meta)})
    assert read_header(other)["identity"] == claimed
    assert model_sha256(other) == file_sha256(other) != claimed["sha256"]
    assert model_sha256(tiny_vae_path) == file_sha256(tiny_vae_path)


def test_cli_showcase_writes_the_seed(
    tiny_gan_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "m.safetensors"
    shutil.copy(tiny_gan_path, model)
    save_tiny_features(tiny_gan_path.parent)
    sheet = tmp_path / "sheet.png"
    args = ["showcase", "--model", str(model), "--count", "5", "--write", "--json"]
    assert cli_main([*args, "--sheet", str(sheet)]) == 0
    out = json.loads(capsys.readouterr().out)
    meta = read_header(model)
    assert meta["default_seed"] == out["seed"] == out["top"][0]
    assert meta["showcase"]["seeds_tried"] == 5 and sheet.is_file()
    assert cli_main(["showcase", "--model", str(model), "--count", "1"]) != 0
