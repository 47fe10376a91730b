"""Class-conditional models: "any class" draws each image's class from its seed."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_DATA, TINY_GAN, make_shapes_folder, save_tiny_features
from PIL import Image

from studio.cli import main
from studio.imaging.metadata import read_recipe
from studio.models.checkpoint import load_checkpoint, metadata_for, save_checkpoint
from studio.models.gan import StyleGenerator
from studio.pipelines.directions import gan_directions
from studio.pipelines.metrics import class_match, class_shares, labels_for_model
from studio.pipelines.render import Recipe, render_recipe
from studio.pipelines.sample import (
    GenerateRequest,
    class_labels,
    class_weights,
    generate_images,
    seed_classes,
    to_uint8,
)

CLASSES = ["cat", "dog", "fish", "frog", "owl"]
EQUAL = [1.0] * len(CLASSES)


@pytest.fixture
def classed(model_dir: Path):
    torch.manual_seed(0)
    module = StyleGenerator(dataclasses.replace(TINY_GAN, num_classes=len(CLASSES))).eval()
    meta = metadata_for(module, name="tiny-classes", data=TINY_DATA, classes=CLASSES)
    path = save_checkpoint(module, model_dir / "tiny-classes.safetensors", meta)
    return load_checkpoint(path)


def test_seed_classes_are_per_row_and_spread_over_the_classes() -> None:
    many = seed_classes(7, EQUAL, 0, 400)
    assert np.array_equal(seed_classes(7, EQUAL, 0, 3), many[:3])  # rows do not depend on n
    assert np.array_equal(seed_classes(7, EQUAL, 100, 10), many[100:110])
    assert not np.array_equal(seed_classes(8, EQUAL, 0, 400), many)
    counts = np.bincount(many, minlength=5)
    assert counts.min() > 50, counts  # uniform: 80 each expected


def test_seed_classes_follow_the_weights() -> None:
    many = seed_classes(3, [60.0, 0.0, 30.0, 10.0], 0, 2000)
    counts = np.bincount(many, minlength=4)
    assert counts[1] == 0 and many.max() == 3  # a class without images is never drawn
    assert 1080 < counts[0] < 1320 and 480 < counts[2] < 720 and 120 < counts[3] < 280, counts


def test_class_weights_read_a_models_training_mix() -> None:
    assert class_weights([3, 0, 1], 3) == [3.0, 0.0, 1.0]
    for junk in (None, [1, 2], [1, "x", 2], [1, -1, 2], [0, 0, 0], [True, 1, 1], "123"):
        assert class_weights(junk, 3) == [1.0, 1.0, 1.0], junk


def test_any_class_draws_a_model_s_classes_in_its_training_shares(model_dir: Path) -> None:
    torch.manual_seed(0)
    module = StyleGenerator(dataclasses.replace(TINY_GAN, num_classes=len(CLASSES))).eval()
    meta = metadata_for(
        module, name="tiny-mix", data=TINY_DATA, classes=CLASSES, class_counts=[0, 9, 0, 0, 1]
    )
    mixed = load_checkpoint(save_checkpoint(module, model_dir / "tiny-mix.safetensors", meta))
    labels = class_labels(mixed, 300, None, 4)
    assert labels is not None
    counts = np.bincount(labels.numpy(), minlength=5)
    assert counts[0] == counts[2] == counts[3] == 0 and 240 < counts[1] < 295, counts


def test_any_class_generation_is_each_rows_own_class(classed) -> None:
    images = generate_images(classed, GenerateRequest(12, 3, batch=12))
    labels = class_labels(classed, 12, None, 3)
    assert labels is not None and len(set(labels.tolist())) > 1
    z = classed.module.sample_latents(12, 3)
    with torch.inference_mode():
        direct = classed.module.decode(z, 1.0, labels)
    assert np.abs(images.astype(int) - to_uint8(direct).astype(int)).max() <= 1
    # A later part of the same draw gets the same classes as in the whole draw.
    tail = generate_images(classed, GenerateRequest(4, 3, batch=4, offset=8))
    assert np.abs(tail.astype(int) - images[8:].astype(int)).max() <= 1
    # A chosen class is used for every image; one the model lacks is refused.
    chosen = class_labels(classed, 4, 2, 3)
    assert chosen is not None and chosen.tolist() == [2, 2, 2, 2]
    with pytest.raises(ValueError, match="Class 9 does not exist"):
        class_labels(classed, 1, 9)


def test_a_recipe_without_a_class_remakes_its_seeds_class(classed) -> None:
    first = generate_images(classed, GenerateRequest(1, 11, batch=1))[0]
    assert np.array_equal(render_recipe(classed, Recipe("tiny-classes", 11)), first)
    label = int(seed_classes(11, EQUAL, 0, 1)[0])
    other = (label + 1) % len(CLASSES)
    same = render_recipe(classed, Recipe("tiny-classes", 11, label=label))
    assert np.array_equal(same, first)
    assert not np.array_equal(
        render_recipe(classed, Recipe("tiny-classes", 11, label=other)), first
    )


def test_directions_of_a_conditional_gan(classed) -> None:
    d = gan_directions(classed, k=3, samples=200)
    assert d.components.shape == (3, TINY_GAN.w_dim) and np.isfinite(d.components).all()


def test_class_shares_follow_the_training_mix() -> None:
    assert class_shares(10, [30, 10, 0, 60], 4) == [3, 1, 0, 6]
    assert class_shares(7, None, 3) == [3, 2, 2]  # equal shares when the file says nothing
    assert class_shares(7, [1, "x", 2], 3) == [3, 2, 2]  # ...or something malformed
    assert class_shares(7, [1, 2], 3) == [3, 2, 2]
    assert sum(class_shares(1000, [1, 1, 1], 3)) == 1000


def _generate(out: Path, *args: str) -> int:
    """``latent-studio generate`` on the tiny class model, into ``out``."""
    base = ["generate", "--model", "tiny-classes", "--device", "cpu"]
    return main([*base, "--out", str(out), *args])


def test_cli_generate_any_class_names_each_images_class(classed, tmp_path: Path, capsys) -> None:
    out = tmp_path / "any"
    assert _generate(out, "--count", "6", "--seed", "5") == 0
    files = sorted(out.glob("*.png"))
    assert len(files) == 6
    expected = seed_classes(5, EQUAL, 0, 6).tolist()
    for i, path in enumerate(files):
        recipe_dict = read_recipe(path.read_bytes())
        assert recipe_dict is not None and recipe_dict["label"] == expected[i]
        recipe = Recipe.from_dict(recipe_dict)
        with Image.open(path) as im:
            assert np.array_equal(render_recipe(classed, recipe), np.asarray(im.convert("RGB")))

    one = tmp_path / "owls"
    assert _generate(one, "--count", "3", "--class", "owl") == 0
    labels = {json.dumps(read_recipe(p.read_bytes())["label"]) for p in one.glob("*.png")}
    assert labels == {"4"}
    capsys.readouterr()
    assert _generate(one, "--class", "yak") == 1
    assert "no class 'yak'" in capsys.readouterr().err


def test_class_match_votes_by_the_nearest_real_images() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(3, 8) * 10
    real = np.concatenate([c + rng.normal(size=(20, 8)) for c in centres])
    labels = np.repeat(np.arange(3), 20)
    near_one = centres[1] + rng.normal(size=(10, 8))
    assert class_match(real, labels, near_one, np.full(10, 1)) == 1.0
    assert class_match(real, labels, near_one, np.full(10, 2)) == 0.0
    assert class_match(real, labels, real, labels, leave_out=True) == 1.0
    # Left out of its own vote, a lone point of a class has no neighbour of that class.
    lone = np.concatenate([real, centres[2:] + 0.01])
    lone_labels = np.append(labels, 1)
    assert class_match(lone, lone_labels, lone[-1:], lone_labels[-1:], leave_out=True) == 0
    assert class_match(lone, lone_labels, lone[-1:], lone_labels[-1:], k=1) == 1.0
    # Real images of a class the model lacks (-1) never vote for anything.
    assert class_match(real, np.full(60, -1), near_one, np.full(10, -1)) == 0.0


def test_labels_for_model_names_the_folders_classes_in_the_models_order(classed) -> None:
    folder_classes = ["dog", "zebra", "cat"]
    mapped = labels_for_model(classed, folder_classes, np.array([0, 1, 2, 0]))
    assert mapped is not None and mapped.tolist() == [1, -1, 0, 1]
    assert labels_for_model(classed, ["zebra"], np.array([0, 0])) is None
    assert labels_for_model(classed, folder_classes, None) is None


def test_cli_metrics_measure_a_class_models_class_match(
    classed, model_dir: Path, tmp_path: Path, capsys
) -> None:
    data = tmp_path / "classes"
    for seed, name in enumerate(["cat", "dog", "zebra"]):
        make_shapes_folder(data / name, count=8, size=32, seed=seed)
    save_tiny_features(model_dir, "feat")
    base = ["metrics", "--data", str(data), "--features", "feat", "--device", "cpu", "--json"]
    assert main([*base, "--model", "tiny-classes", "--count", "20"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert 0.0 <= report["class_match"] <= 1.0 and 0.0 <= report["real_class_match"] <= 1.0
    assert report["fake_images"] == 20 and report["real_images"] == 24
    assert main([*base[:-1], "--model", "tiny-classes", "--count", "20"]) == 0
    assert "class match" in capsys.readouterr().out
