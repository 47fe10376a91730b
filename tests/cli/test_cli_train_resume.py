"""``train`` on a full disk and after a kill, and ``publish`` over an existing model."""

from __future__ import annotations

import errno
import json
import re
from pathlib import Path

import torch

from studio.cli import main
from studio.models.checkpoint import load_checkpoint

VAE_OPTIONS = [
    "--resolution",
    "32",
    "--batch",
    "4",
    "--device",
    "cpu",
    "--checkpoint-every",
    "2",
    "--preview-every",
    "100",
    *("--model-option", "latent_dim=8"),
    *("--model-option", "base_channels=4"),
    *("--model-option", "max_channels=16"),
]


def _messages(err: str) -> list[str]:
    """stderr without the progress bar's redraws (and their cursor moves)."""
    lines = (re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", line) for line in err.splitlines())
    return [line for line in lines if line.strip() and "train vae" not in line]


def _train(shapes_dir: Path, run: Path, *extra: str) -> int:
    argv = ["train", "vae", "--data", str(shapes_dir), "--run", str(run), *VAE_OPTIONS]
    return main([*argv, *extra])


def test_train_on_a_full_disk_is_one_line_and_keeps_the_last_checkpoint(
    shapes_dir, tmp_path, capsys, monkeypatch
):
    real_save = torch.save
    calls: list[str] = []

    def save(obj, f, *args, **kwargs):  # the second checkpoint runs out of space midway
        calls.append(str(f))
        real_save(obj, f, *args, **kwargs)
        if len(calls) == 2:
            data = Path(f).read_bytes()
            Path(f).write_bytes(data[: len(data) // 3])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", save)
    run = tmp_path / "run"
    rc = _train(shapes_dir, run, "--steps", "6")
    out, err = capsys.readouterr()
    assert rc != 0 and "Traceback" not in err
    lines = _messages(err)
    assert len(lines) == 1, err
    assert lines[0].startswith("latent-studio: ") and "No space left on device" in lines[0]
    assert "step 2" in lines[0] and "kept" in lines[0]
    assert len(calls) == 2
    assert not [p.name for p in run.rglob("*.tmp")]
    monkeypatch.undo()
    state = torch.load(run / "state.pt", weights_only=True)  # intact and loadable
    assert state["step"] == 2
    assert _train(shapes_dir, run, "--resume", "--steps", "4") == 0
    assert torch.load(run / "state.pt", weights_only=True)["step"] == 4


def test_resume_before_the_first_checkpoint_says_so(shapes_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert _train(shapes_dir, run, "--steps", "3") == 0
    (run / "state.pt").unlink()  # as if killed before its first checkpoint
    capsys.readouterr()
    assert _train(shapes_dir, run, "--resume", "--steps", "3") == 0
    assert "no checkpoint yet: starting again" in _messages(capsys.readouterr().err)
    steps = [json.loads(line)["step"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert steps == sorted(set(steps))  # each step logged once


def test_checkpoint_minutes_is_saved_with_the_run(shapes_dir, tmp_path):
    assert _train(shapes_dir, tmp_path / "a", "--steps", "1") == 0
    assert json.loads((tmp_path / "a" / "run.json").read_text())["checkpoint_minutes"] == 5.0
    assert _train(shapes_dir, tmp_path / "b", "--steps", "1", "--checkpoint-minutes", "0.5") == 0
    assert json.loads((tmp_path / "b" / "run.json").read_text())["checkpoint_minutes"] == 0.5


def test_publish_refuses_to_replace_a_model_unless_asked(shapes_dir, tmp_path, capsys):
    from studio.models.catalog import user_model_dir

    run = tmp_path / "run"
    assert _train(shapes_dir, run, "--steps", "2") == 0
    assert main(["publish", str(run), "--name", "mine"]) == 0
    target = user_model_dir() / "mine.safetensors"
    first = target.read_bytes()
    assert _train(shapes_dir, run, "--resume", "--steps", "4") == 0
    capsys.readouterr()
    assert main(["publish", str(run), "--name", "mine"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already exists" in err[0] and "--overwrite" in err[0]
    assert target.read_bytes() == first  # untouched
    assert main(["publish", str(run), "--name", "mine", "--overwrite"]) == 0
    assert load_checkpoint(target).meta["training"]["steps"] == 4
    # export to a folder: the same rule
    models = tmp_path / "models"
    assert main(["export", str(run), "--name", "mine", "--out", str(models)]) == 0
    assert main(["export", str(run), "--name", "mine", "--out", str(models)]) == 1
    assert "--overwrite" in capsys.readouterr().err
