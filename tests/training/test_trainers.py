"""GAN and VAE training through the shared loop: steps, previews, cancel, exact resume."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_FIELDS, save_tiny_features

from studio.training.run import Run, RunError, TrainConfig
from studio.training.session import open_run, run_training


def _cfg(kind: str, data: Path, **kw) -> TrainConfig:
    fields = {
        "kind": kind,
        "data": str(data),
        "steps": 3,
        "batch": 4,
        "seed": 5,
        "checkpoint_every": 3,
        "preview_every": 3,
        "log_every": 1,
        "r1_every": 2,  # R1 runs on some steps, not all: resume must get that right
        "device": "cpu",
        "model": TINY_FIELDS[kind],
    }
    fields.update(kw)
    return TrainConfig(**fields)


def _assert_same(a, b, where: str = "state") -> None:
    """Recursively: tensors torch.equal, numbers and strings equal."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor), where
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for k in a:
            if k == "seconds":
                continue  # wall-clock time differs, of course
            _assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def _state(run_dir: Path) -> dict:
    return torch.load(run_dir / "state.pt", map_location="cpu", weights_only=True)


@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_trainer_takes_steps_and_writes_its_run_folder(kind, shapes_dir, tmp_path):
    run = open_run(tmp_path / "run", _cfg(kind, shapes_dir), resume=False)
    reports = list(run_training(run))
    assert [r.step for r in reports] == [1, 2, 3]
    assert all(r.total == 3 for r in reports)
    for r in reports:
        assert r.losses and all(math.isfinite(v) for v in r.losses.values())
    last = reports[-1]
    assert last.checkpointed and last.preview is not None
    assert last.preview.dtype == np.uint8 and last.preview.ndim == 3
    assert last.preview.shape[2] == 3 and last.metrics
    assert reports[0].preview is None and not reports[0].checkpointed
    assert (run.previews / "step-0000003.png").is_file()
    state = run.load_state()
    assert state is not None and state["step"] == 3
    log = run.read_log()
    assert [r["step"] for r in log] == [1, 2, 3]
    saved = json.loads((run.path / "run.json").read_text())
    assert saved["kind"] == kind and saved["model"] == TINY_FIELDS[kind]


@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_training_is_deterministic(kind, shapes_dir, tmp_path):
    for name in ("a", "b"):
        list(run_training(open_run(tmp_path / name, _cfg(kind, shapes_dir), resume=False)))
    _assert_same(_state(tmp_path / "a"), _state(tmp_path / "b"))
    other = _cfg(kind, shapes_dir, seed=6)
    list(run_training(open_run(tmp_path / "c", other, resume=False)))
    first = "G" if kind == "gan" else "model"
    a, c = _state(tmp_path / "a")[first], _state(tmp_path / "c")[first]
    assert any(not torch.equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("gan", {}),
        ("vae", {}),
        ("gan", {"ada": True}),
        # A refresh at step 2 and 4: the resumed run must keep step 2's assignment.
        ("gan", {"coverage": 1.0, "coverage_every": 2}),
        ("gan", {"feature_d": 1.0}),
    ],
    ids=["gan", "vae", "gan-ada", "gan-coverage", "gan-feature-d"],
)
def test_kill_and_resume_is_exact(kind, extra, shapes_dir, tmp_path):
    if extra.get("feature_d"):
        save_tiny_features(Path(os.environ["LATENT_STUDIO_CHECKPOINTS"]))
    total, every = 6, 3
    cfg = _cfg(kind, shapes_dir, steps=total, checkpoint_every=every, preview_every=every, **extra)

    # Uninterrupted.
    list(run_training(open_run(tmp_path / "whole", cfg, resume=False)))

    # Interrupted: killed after step every+1, i.e. one step past the last checkpoint.
    run = open_run(tmp_path / "live", cfg, resume=False)
    steps = run_training(run)
    for report in steps:
        if report.step == every + 1:
            # What a kill leaves on disk: the folder as it is now.
            shutil.copytree(tmp_path / "live", tmp_path / "killed")
            break
    steps.close()
    assert _state(tmp_path / "killed")["step"] == every

    resumed = open_run(tmp_path / "killed", None, resume=True)
    reports = list(run_training(resumed, resume=True))
    assert [r.step for r in reports] == list(range(every + 1, total + 1))
    _assert_same(_state(tmp_path / "whole"), _state(tmp_path / "killed"))


@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_cancel_saves_state_at_the_step_reached(kind, shapes_dir, tmp_path):
    cfg = _cfg(kind, shapes_dir, steps=50, checkpoint_every=100, preview_every=100)
    run = open_run(tmp_path / "run", cfg, resume=False)
    seen: list[int] = []
    for report in run_training(run, cancel=lambda: len(seen) >= 2):
        seen.append(report.step)
    assert seen == [1, 2]
    assert run.load_state()["step"] == 2


def test_consumer_stopping_early_keeps_the_work(shapes_dir, tmp_path):
    cfg = _cfg("vae", shapes_dir, steps=50, checkpoint_every=100, preview_every=100)
    run = open_run(tmp_path / "run", cfg, resume=False)
    for report in run_training(run):
        if report.step == 2:
            break  # the generator is closed when the loop is left
    assert run.load_state()["step"] == 2


def test_resume_trains_longer_and_refuses_a_second_new_run(shapes_dir, tmp_path):
    cfg = _cfg("vae", shapes_dir, steps=2, checkpoint_every=1)
    list(run_training(open_run(tmp_path / "run", cfg, resume=False)))
    with pytest.raises(RunError, match="already holds"):
        open_run(tmp_path / "run", cfg, resume=False)
    longer = _cfg("vae", shapes_dir, steps=4)
    run = open_run(tmp_path / "run", longer, resume=True)
    assert run.read_config().steps == 4
    assert [r.step for r in run_training(run, resume=True)] == [3, 4]
    assert run.load_state()["step"] == 4


def test_run_errors(shapes_dir, tmp_path):
    with pytest.raises(RunError, match="does not exist"):
        open_run(tmp_path / "r", _cfg("gan", tmp_path / "missing"), resume=False)
    with pytest.raises(RunError, match="not a training run"):
        open_run(tmp_path / "nothing-here", None, resume=True)
    with pytest.raises(RunError, match="settings"):
        open_run(tmp_path / "r2", None, resume=False)
    with pytest.raises(RunError, match="kind"):
        TrainConfig(kind="diffusion", data=str(shapes_dir))
    with pytest.raises(RunError):
        TrainConfig(kind="gan", data=str(shapes_dir), steps=0)
    run = Run(tmp_path / "damaged")
    run.path.mkdir()
    (run.path / "run.json").write_text("{ not json")
    with pytest.raises(RunError, match="damaged"):
        run.read_config()


def test_saved_state_is_read_without_unpickling_code(shapes_dir, tmp_path):
    cfg = _cfg("vae", shapes_dir, steps=1, checkpoint_every=1)
    run = open_run(tmp_path / "run", cfg, resume=False)
    list(run_training(run))
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save({"step": 1, "x": Evil()}, run.state_path)
    with pytest.raises(RunError, match="cannot be read"):
        run.load_state()
    assert not marker.exists()
