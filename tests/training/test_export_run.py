"""Exporting a training run as a model file the catalog lists and the loader accepts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import TINY_FIELDS, make_shapes_folder, save_tiny, save_tiny_features, tiny_gan

from studio.models.catalog import list_models, resolve_model
from studio.models.checkpoint import load_checkpoint, read_header
from studio.pipelines.directions import vae_directions
from studio.pipelines.metrics import installed_features
from studio.training.export import ExportError, export_run
from studio.training.run import TrainConfig
from studio.training.session import open_run, run_training


def _trained(kind: str, data, run_dir, steps: int = 2, **kw):
    cfg = TrainConfig(
        kind=kind,
        data=str(data),
        steps=steps,
        batch=4,
        checkpoint_every=steps,
        preview_every=steps,
        device="cpu",
        model=TINY_FIELDS[kind],
        command=f"test {kind}",
        **kw,
    )
    run = open_run(run_dir, cfg, resume=False)
    list(run_training(run))
    return run


def test_export_gan_writes_a_loadable_model_with_figures(shapes_dir, tmp_path):
    run = _trained("gan", shapes_dir, tmp_path / "run")
    path, meta = export_run(run.path, "my-gan", out=tmp_path / "models", half=False)
    assert path == tmp_path / "models" / "my-gan.safetensors"
    model = load_checkpoint(path)
    assert model.name == "my-gan" and model.kind == "gan"
    state = run.load_state()
    for key, value in model.module.state_dict().items():
        assert torch.equal(value, state["G_ema"][key]), key  # the EMA generator ships
    assert read_header(path) == {**meta, "dtype": "float32"}
    figures = meta["figures"]
    assert figures["sample_diversity"] > 0 and figures["min_pair_distance"] >= 0
    assert "studio_fid" not in figures  # no feature network installed in the tests
    assert meta["training"]["steps"] == 2 and meta["training"]["command"] == "test gan"
    assert meta["data"]["name"] == "shapes" and meta["data"]["holdout_fraction"] == 0.1
    assert meta["config"]["resolution"] == 32


def test_export_vae_measures_holdout_psnr_and_stores_directions(shapes_dir, tmp_path):
    run = _trained("vae", shapes_dir, tmp_path / "run", holdout=0.3)
    path, meta = export_run(run.path, "my-vae", out=tmp_path / "models")
    figures = meta["figures"]
    assert 0 < figures["holdout_psnr_db"] < 100
    assert figures["holdout_images"] >= 1
    model = load_checkpoint(path)
    assert model.meta["dtype"] == "float16"  # half by default
    dirs = vae_directions(model, k=4)
    assert dirs.components.shape == (4, 8)
    assert np.allclose(dirs.components @ dirs.components.T, np.eye(4), atol=1e-3)


def test_exported_model_is_listed_by_name(shapes_dir, tmp_path):
    run = _trained("vae", shapes_dir, tmp_path / "run", steps=1)
    path, _ = export_run(run.path, "listed-vae")  # default: the user model folder
    assert resolve_model("listed-vae") == path
    assert "listed-vae" in [e.name for e in list_models() if not e.error]


def test_dataset_json_provenance_travels_into_the_model(shapes_dir, tmp_path):
    (shapes_dir / "DATASET.json").write_text(
        '{"name": "Shapes", "source": "tests", "licence": "CC0", "count": 24}'
    )
    run = _trained("vae", shapes_dir, tmp_path / "run", steps=1)
    _, meta = export_run(run.path, "prov", out=tmp_path / "m")
    assert meta["data"]["name"] == "Shapes" and meta["data"]["licence"] == "CC0"


@pytest.mark.parametrize("name", ["", "../evil", "a b", "x" * 65, ".hidden", "é"])
def test_bad_names_refused(name, tmp_path):
    with pytest.raises(ExportError, match="name"):
        export_run(tmp_path / "run", name, out=tmp_path)


def test_runs_without_state_refused(shapes_dir, tmp_path):
    with pytest.raises(ExportError, match="not a training run"):
        export_run(tmp_path / "nothing", "x", out=tmp_path)
    cfg = TrainConfig(kind="vae", data=str(shapes_dir), steps=1, model=TINY_FIELDS["vae"])
    open_run(tmp_path / "fresh", cfg, resume=False)
    with pytest.raises(ExportError, match="no saved training state"):
        export_run(tmp_path / "fresh", "x", out=tmp_path)


def test_export_measures_a_class_gan_with_the_feature_network(model_dir, tmp_path):
    data = tmp_path / "classes"
    for seed, name in enumerate(["dots", "bars", "rings"]):
        make_shapes_folder(data / name, count=6, size=32, seed=seed)
    # A model squatting on the feature network's name is not mistaken for it.
    save_tiny(tiny_gan(), model_dir / "studio-features.safetensors", "studio-features")
    assert installed_features() is None
    save_tiny_features(model_dir)
    assert installed_features() is not None
    run = _trained("gan", data, tmp_path / "run", conditional=True)
    _, meta = export_run(run.path, "class-gan", out=tmp_path / "models", half=False)
    figures = meta["figures"]
    assert figures["studio_fid"] >= 0 and figures["studio_kid"] == figures["studio_kid"]
    assert 0 <= figures["studio_precision"] <= 1 and 0 <= figures["studio_recall"] <= 1
    assert figures["studio_real_images"] == 18  # the whole folder, held-out images too
    assert 0 <= figures["studio_class_match"] <= 1
    assert 0 <= figures["studio_real_class_match"] <= 1
