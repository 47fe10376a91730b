"""Training options: losses, optimizers, ADA, class conditioning, fine-tuning, FreezeD."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_GAN_FIELDS, TINY_VAE_FIELDS, make_shapes_folder
from PIL import Image

from studio.models.checkpoint import LoadedModel, file_sha256, load_checkpoint
from studio.training.dataset import load_folder
from studio.training.export import export_run
from studio.training.gan_trainer import GANTrainer
from studio.training.run import Run, RunError, TrainConfig
from studio.training.session import open_run, run_training


def _exported_base(tmp: Path, data: Path) -> tuple[Path, LoadedModel]:
    """A 3-step unconditional GAN on ``data``, exported in full precision, and loaded."""
    base_dir, _ = _train(tmp, "base", data=str(data))
    path, _ = export_run(base_dir, "base", out=tmp / "models", half=False)
    return path, load_checkpoint(path)


def _trainer(cfg: TrainConfig, data: Path) -> GANTrainer:
    return GANTrainer(cfg, load_folder(data, 32), torch.device("cpu"))


def _train(tmp: Path, name: str, **fields) -> tuple[Path, list]:
    cfg = TrainConfig(
        **{
            "kind": "gan",
            "steps": 3,
            "batch": 4,
            "model": dict(TINY_GAN_FIELDS),
            "checkpoint_every": 3,
            "preview_every": 3,
            **fields,
        }
    )
    run = open_run(tmp / name, cfg, resume=False)
    return tmp / name, list(run_training(run))


@pytest.mark.parametrize(
    "fields",
    [{"loss": "hinge"}, {"optimizer": "rmsprop"}, {"optimizer": "sgd"}, {"epochs": 0.5}],
)
def test_options_train(shapes_dir: Path, tmp_path: Path, fields: dict) -> None:
    _, reports = _train(tmp_path, "run", data=str(shapes_dir), **fields)
    assert reports and all(np.isfinite(list(r.losses.values())).all() for r in reports)
    if "epochs" in fields:  # half an epoch of 24 images at batch 4 is 3 steps
        assert reports[-1].total == 3


def test_cpu_bf16_trains_g_and_d_in_bf16_and_keeps_fp32_weights(
    shapes_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.models.gan import Discriminator

    seen: list[torch.dtype] = []
    forward = Discriminator.forward

    def spy(self, x, *args, **kwargs):
        out = forward(self, x, *args, **kwargs)
        seen.append(out.dtype)
        return out

    monkeypatch.setattr(Discriminator, "forward", spy)
    run_dir, reports = _train(tmp_path, "bf16", data=str(shapes_dir), cpu_bf16=True, r1_every=2)
    assert all(np.isfinite(list(r.losses.values())).all() for r in reports)
    assert reports[0].losses["r1"] > 0  # the fp32 R1 pass ran alongside
    assert torch.bfloat16 in seen and torch.float32 in seen  # D's passes, then R1's
    state = torch.load(run_dir / "state.pt", map_location="cpu", weights_only=True)
    for part in ("G", "D", "G_ema"):
        assert all(t.dtype == torch.float32 for t in state[part].values() if t.is_floating_point())
    assert torch.isfinite(state["G"]["mapping.w_avg"]).all()
    seen.clear()
    _train(tmp_path, "fp32", data=str(shapes_dir))
    assert set(seen) == {torch.float32}


def test_ada_raises_strength_when_d_is_sure(shapes_dir: Path, tmp_path: Path) -> None:
    from studio.training.augment import AdaptiveStrength

    ada = AdaptiveStrength(0.0, target=0.6, speed=0.1)
    for _ in range(8):
        ada.update(1.0)  # D calls every real image real: overfitting
    assert ada.p == pytest.approx(0.2)
    for _ in range(12):
        ada.update(-1.0)
    assert ada.p == 0.0
    _, reports = _train(tmp_path, "ada", data=str(shapes_dir), ada=True)
    assert reports[-1].losses["augment"] <= 0.01  # starts at zero and moves slowly


def test_class_conditional_gan(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_shapes_folder(data / "red", 8, seed=1)
    make_shapes_folder(data / "blue", 8, seed=2)
    run_dir, _ = _train(tmp_path, "cond", data=str(data), conditional=True)
    path, meta = export_run(run_dir, "cond", out=tmp_path / "models")
    assert meta["classes"] == ["blue", "red"]
    model = load_checkpoint(path)
    assert model.module.cfg.num_classes == 2
    z = model.module.sample_latents(2, 0)
    a = model.module.decode(z, labels=torch.tensor([0, 0]))
    b = model.module.decode(z, labels=torch.tensor([1, 1]))
    assert not torch.equal(a, b), "the class must change the image"


def test_an_unconditional_model_grows_classes_when_fine_tuned(
    shapes_dir: Path, tmp_path: Path
) -> None:
    path, base = _exported_base(tmp_path, shapes_dir)
    data = tmp_path / "data"
    make_shapes_folder(data / "red", 12, seed=1)
    make_shapes_folder(data / "blue", 8, seed=2)
    cfg = TrainConfig(kind="gan", data=str(data), init_from=str(path), conditional=True)
    trainer = _trainer(cfg, data)
    assert trainer.gcfg.num_classes == 2
    # It starts out drawing what the model it grew from drew, in either class.
    z = base.module.sample_latents(3, 0)
    for label in (0, 1):
        grown = trainer.G_ema.decode(z, labels=torch.full((3,), label))
        torch.testing.assert_close(grown, base.module.decode(z), atol=1e-5, rtol=0)

    run_dir, reports = _train(
        tmp_path, "grown", data=str(data), init_from=str(path), conditional=True
    )
    assert all(np.isfinite(list(r.losses.values())).all() for r in reports)
    grown_path, meta = export_run(run_dir, "grown", out=tmp_path / "models")
    assert meta["classes"] == ["blue", "red"]
    train = load_folder(data, 32, "train", 0.1)
    assert meta["class_counts"] == [int((train.labels == c).sum()) for c in (0, 1)]
    assert sum(meta["class_counts"]) == len(train)

    # A conditional model keeps its classes: it cannot start a run with other classes.
    make_shapes_folder(data / "green", 8, seed=3)
    with pytest.raises(ValueError, match="keeps the classes"):
        _train(tmp_path, "regrown", data=str(data), init_from=str(grown_path), conditional=True)


def test_a_fine_tune_may_speed_up_the_mapping_and_starts_unchanged(
    shapes_dir: Path, tmp_path: Path
) -> None:
    path, base = _exported_base(tmp_path, shapes_dir)
    cfg = TrainConfig(
        kind="gan", data=str(shapes_dir), init_from=str(path), model={"mapping_lr_mult": 0.5}
    )
    trainer = _trainer(cfg, shapes_dir)
    assert trainer.gcfg.mapping_lr_mult == 0.5 and base.module.cfg.mapping_lr_mult == 0.01
    z = base.module.sample_latents(3, 0)
    torch.testing.assert_close(trainer.G_ema.decode(z, 0.7), base.module.decode(z, 0.7))
    # The weights are stored 50 times smaller, so Adam's steps move them 50 times faster.
    stored = trainer.G.mapping.layers[0].weight
    torch.testing.assert_close(stored * 50, base.module.mapping.layers[0].weight)

    run_dir, _ = _train(
        tmp_path, "fast", data=str(shapes_dir), init_from=str(path), model={"mapping_lr_mult": 0.5}
    )
    fast, _ = export_run(run_dir, "fast", out=tmp_path / "models")
    assert load_checkpoint(fast).module.cfg.mapping_lr_mult == 0.5
    # A bad value is refused with the settings, before a run folder exists.
    with pytest.raises(RunError, match="mapping_lr_mult must be above 0"):
        TrainConfig(
            kind="gan", data=str(shapes_dir), init_from=str(path), model={"mapping_lr_mult": 0}
        )
    with pytest.raises(RunError, match="do not fit a VAE"):
        TrainConfig(
            kind="vae", data=str(shapes_dir), init_from=str(path), model={"mapping_lr_mult": 0.1}
        )
    with pytest.raises(RunError, match="mapping_lr_mult must be above 0"):
        _train(
            tmp_path, "bad", data=str(shapes_dir), init_from=str(path), model={"mapping_lr_mult": 5}
        )
    assert not (tmp_path / "bad").exists()


def test_conditional_needs_subfolders(shapes_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="subfolder"):
        _train(tmp_path, "nocls", data=str(shapes_dir), conditional=True)
    with pytest.raises(RunError, match="GAN"):
        TrainConfig(kind="vae", data=str(shapes_dir), conditional=True)


def test_fine_tune_starts_from_the_model_and_freezes_lower_d(
    shapes_dir: Path, tmp_path: Path
) -> None:
    path, base = _exported_base(tmp_path, shapes_dir)
    assert any(k.startswith("discriminator.") for k in base.extras)

    other = tmp_path / "other"
    make_shapes_folder(other, 12, seed=5)
    cfg = TrainConfig(
        kind="gan",
        data=str(other),
        steps=2,
        batch=4,
        model={"resolution": 32},
        init_from=str(path),
        freeze_d=2,
        checkpoint_every=2,
        preview_every=2,
    )
    trainer = _trainer(cfg, other)
    # Starts from the exported weights (config comes from the model, not the run).
    assert trainer.gcfg.channel_max == TINY_GAN_FIELDS["channel_max"]
    for k, v in base.module.state_dict().items():
        torch.testing.assert_close(trainer.G.state_dict()[k], v)
    frozen_before = {k: v.clone() for k, v in trainer.D.fromrgb.state_dict().items()}
    top_before = trainer.D.out.weight.clone()
    for step in range(2):
        trainer.train_step(step, torch.Generator().manual_seed(step))
    for k, v in trainer.D.fromrgb.state_dict().items():
        assert torch.equal(v, frozen_before[k]), "frozen D layers must not change"
    assert not torch.equal(trainer.D.out.weight, top_before)


def test_exported_fine_tunes_name_their_ancestry(shapes_dir: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    base_dir, _ = _train(tmp_path, "base", data=str(shapes_dir))
    base_path, base_meta = export_run(base_dir, "base", out=models)
    assert "fine_tuned_from" not in base_meta["training"]

    child_dir, _ = _train(tmp_path, "child", data=str(shapes_dir), init_from=str(base_path))
    child_path, child_meta = export_run(child_dir, "child", out=models)
    origin = child_meta["training"]["fine_tuned_from"]
    assert origin["model"] == str(base_path) and origin["name"] == "base"
    assert origin["steps"] == 3 and origin["command"] == base_meta["training"]["command"]
    assert origin["data"] == base_meta["data"]["name"] and "data_count" not in origin

    # A grandchild names the whole chain, and the chain survives in the file itself.
    grand_dir, _ = _train(tmp_path, "grand", data=str(shapes_dir), init_from=str(child_path))
    grand_path, _ = export_run(grand_dir, "grand", out=models)
    chain = load_checkpoint(grand_path).meta["training"]["fine_tuned_from"]
    assert chain["name"] == "child" and chain["fine_tuned_from"]["name"] == "base"

    # The parent is read when the run begins: replacing its file later changes nothing.
    child_model = load_checkpoint(child_path)
    assert chain["sha256"] == file_sha256(child_path)
    child_path.write_bytes(b"replaced by something else entirely")
    _, grand_again = export_run(grand_dir, "grand-again", out=models)
    assert grand_again["training"]["fine_tuned_from"] == chain

    # A parent whose metadata is refused (another program's file) cannot start a run,
    # which then leaves no folder; a run from before lineage was kept at its start (so
    # it is read at export) still exports, naming it.
    from studio.models.checkpoint import save_checkpoint

    odd_meta = {**child_model.meta, "training": ["not", "a", "dict"], "data": 7}
    save_checkpoint(child_model.module, child_path, odd_meta)
    odd_cfg = TrainConfig(kind="gan", data=str(shapes_dir), init_from=str(child_path))
    with pytest.raises(ValueError, match="Cannot fine-tune from .*'data' should be"):
        open_run(tmp_path / "from-odd", odd_cfg, resume=False)
    assert not (tmp_path / "from-odd").exists()
    _forget_lineage(grand_dir)
    _, from_odd = export_run(grand_dir, "grand-odd", out=models)
    assert from_odd["training"]["fine_tuned_from"] == {"model": str(child_path)}

    # Such an older run whose parent is gone since: still named, and it still exports.
    _forget_lineage(child_dir)
    base_path.unlink()
    _, again = export_run(child_dir, "child-again", out=models)
    assert again["training"]["fine_tuned_from"] == {"model": str(base_path)}


def _forget_lineage(run_dir: Path) -> None:
    """Make ``run_dir`` look like a run made before lineage was kept at its start."""
    run = Run(run_dir)
    cfg = run.read_config()
    cfg.init_lineage = {}
    run.write_config(cfg)


def test_fine_tune_refuses_the_wrong_kind(shapes_dir: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(
        kind="vae",
        data=str(shapes_dir),
        steps=1,
        batch=4,
        model=dict(TINY_VAE_FIELDS),
    )
    run = open_run(tmp_path / "v", copy.deepcopy(cfg), resume=False)
    list(run_training(run))
    path, _ = export_run(tmp_path / "v", "v", out=tmp_path / "m")
    with pytest.raises(ValueError, match="cannot start a GAN"):
        _train(tmp_path, "wrong", data=str(shapes_dir), init_from=str(path))


def test_rgba_folder_trains_on_the_chosen_background(tmp_path: Path) -> None:
    data = tmp_path / "alpha"
    data.mkdir()
    for i in range(6):
        rgba = np.zeros((32, 32, 4), np.uint8)
        rgba[8:24, 8:24] = (255, 0, 0, 255)
        Image.fromarray(rgba).save(data / f"{i}.png")
    from studio.training.loop import cached_data
    from studio.training.run import Run

    cfg = TrainConfig(
        kind="gan", data=str(data), model=dict(TINY_GAN_FIELDS), background=(0, 0, 255), holdout=0
    )
    run = Run(tmp_path / "r")
    run.create(cfg)
    images = cached_data(run, cfg).images
    assert tuple(images[0, 0, 0]) == (0, 0, 255)
    assert (run.path / "data-cache.npz").is_file()
    again = cached_data(run, cfg, write=False)
    assert np.array_equal(again.images, images)
