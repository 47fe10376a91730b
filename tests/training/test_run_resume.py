"""Resuming after a kill: the notice, the log, checkpoints by time, leftover temporaries,
and a checkpoint that cannot be written (a full disk)."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from conftest import TINY_FIELDS

from studio.training import loop
from studio.training.loop import NO_CHECKPOINT
from studio.training.run import Run, RunError, TrainConfig
from studio.training.session import open_run, run_training


def _cfg(data: Path, **kw) -> TrainConfig:
    fields = {
        "kind": "vae",
        "data": str(data),
        "steps": 6,
        "batch": 4,
        "seed": 3,
        "checkpoint_every": 100,
        "checkpoint_minutes": 0.0,
        "preview_every": 100,
        "log_every": 1,
        "device": "cpu",
        "model": TINY_FIELDS["vae"],
    }
    fields.update(kw)
    return TrainConfig(**fields)


def _killed_after(run: Run, steps: int, resume: bool = False) -> list:
    """Take ``steps`` steps, then stop as a SIGKILL would: nothing more is saved."""
    gen = run_training(run, resume=resume)
    reports = [next(gen) for _ in range(steps)]
    run.save_state = lambda state: None  # type: ignore[method-assign]
    gen.close()
    del run.save_state
    return reports


def _log_steps(run: Run) -> list[int]:
    return [row["step"] for row in run.read_log()]


def test_resume_before_the_first_checkpoint_says_so_and_logs_each_step_once(shapes_dir, tmp_path):
    run = open_run(tmp_path / "run", _cfg(shapes_dir), resume=False)
    _killed_after(run, 3)
    assert not run.state_path.exists() and _log_steps(run) == [1, 2, 3]
    reports = list(run_training(run, resume=True))
    assert reports[0].step == 1 and reports[0].notice == NO_CHECKPOINT
    assert all(not r.notice for r in reports[1:])
    assert _log_steps(run) == [1, 2, 3, 4, 5, 6]  # not 1, 2, 3, 1, 2, …


def test_every_resume_drops_log_rows_past_the_checkpoint(shapes_dir, tmp_path):
    run = open_run(tmp_path / "run", _cfg(shapes_dir, checkpoint_every=2), resume=False)
    _killed_after(run, 3)  # checkpoint at 2, step 3 logged, then killed
    assert run.load_state()["step"] == 2 and _log_steps(run) == [1, 2, 3]
    # A line cut short by the kill goes too.
    with open(run.path / "log.jsonl", "a") as fh:
        fh.write('{"step": 4, "loss')
    reports = _killed_after(run, 3, resume=True)  # 3, 4 (checkpoint), 5
    assert [r.step for r in reports] == [3, 4, 5] and not reports[0].notice
    assert _log_steps(run) == [1, 2, 3, 4, 5]
    list(run_training(run, resume=True))
    assert _log_steps(run) == [1, 2, 3, 4, 5, 6]
    lines = (run.path / "log.jsonl").read_text().splitlines()
    assert all(json.loads(line) for line in lines)


def _slow_clock(monkeypatch, seconds_per_reading: float) -> None:
    """The loop's clock moves ``seconds_per_reading`` each time it is read: every step
    seems to take a long time, and nothing else is slowed."""
    ticks = iter(range(10**6))
    fake = SimpleNamespace(perf_counter=lambda: next(ticks) * seconds_per_reading)
    monkeypatch.setattr(loop, "time", fake)


def test_checkpoints_come_by_time_as_well_as_by_steps(shapes_dir, tmp_path, monkeypatch):
    _slow_clock(monkeypatch, 25.0)
    run = open_run(tmp_path / "run", _cfg(shapes_dir, checkpoint_minutes=1.0), resume=False)
    reports = _killed_after(run, 5)
    # A checkpoint wherever a minute of training has passed since the last one.
    expected, last = [], 0.0
    for r in reports:
        expected.append(r.seconds - last >= 60)
        last = r.seconds if expected[-1] else last
    assert [r.checkpointed for r in reports] == expected
    assert any(expected) and not all(expected)
    saved = run.load_state()
    last_checkpoint = max(r.step for r in reports if r.checkpointed)
    assert saved["step"] == last_checkpoint < 5  # the kill lost less than a minute


def test_no_checkpoints_by_time_when_off(shapes_dir, tmp_path, monkeypatch):
    _slow_clock(monkeypatch, 25.0)
    run = open_run(tmp_path / "run", _cfg(shapes_dir), resume=False)
    assert not any(r.checkpointed for r in _killed_after(run, 5))


def test_checkpoint_minutes_default_and_window_runs_get_it(shapes_dir, tmp_path):
    # The Train panel hands the engine a plain dict of fields without this one; the run
    # it starts checkpoints every 5 minutes like the command line's.
    window_fields = {"kind": "vae", "data": str(shapes_dir), "steps": 2, "batch": 4}
    run = open_run(tmp_path / "w", TrainConfig(**window_fields), resume=False)
    assert json.loads((run.path / "run.json").read_text())["checkpoint_minutes"] == 5.0
    # A run folder from before the field existed still opens, with the default.
    saved = json.loads((run.path / "run.json").read_text())
    del saved["checkpoint_minutes"]
    (run.path / "run.json").write_text(json.dumps(saved))
    assert run.read_config().checkpoint_minutes == 5.0
    with pytest.raises(RunError, match="checkpoint time"):
        TrainConfig(**window_fields, checkpoint_minutes=-1)


def test_leftover_temporaries_are_swept_when_the_run_opens(shapes_dir, tmp_path):
    run = open_run(tmp_path / "run", _cfg(shapes_dir, steps=2), resume=False)
    list(run_training(run))
    left = [
        run.path / ".state.pt.a1b2c3.tmp",
        run.path / ".state.pt.zz9.tmp",
        run.path / ".run.json.q.tmp",
        run.previews / ".step-0000002.png.x.tmp",
    ]
    run.previews.mkdir(exist_ok=True)
    for p in left:
        p.write_bytes(b"half a checkpoint")
    mine = run.path / "notes.tmp"  # not one of ours: stays
    mine.write_text("keep")
    next(run_training(run, resume=True), None)  # opening to resume sweeps
    assert not any(p.exists() for p in left)
    assert mine.read_text() == "keep"
    assert run.load_state()["step"] == 2


def _full_disk_on_save(monkeypatch, after: int) -> list[Path]:
    """``torch.save`` writes half its bytes then fails with ENOSPC, from save ``after``+1 on;
    returns the paths it was asked to write."""
    real_save = torch.save
    calls: list[Path] = []

    def save(obj, f, *args, **kwargs):
        calls.append(Path(f))
        if len(calls) <= after:
            return real_save(obj, f, *args, **kwargs)
        real_save(obj, f, *args, **kwargs)
        data = Path(f).read_bytes()
        Path(f).write_bytes(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", save)
    return calls


def test_a_full_disk_during_a_checkpoint_keeps_the_last_good_one(shapes_dir, tmp_path, monkeypatch):
    run = open_run(tmp_path / "run", _cfg(shapes_dir, checkpoint_every=2), resume=False)
    calls = _full_disk_on_save(monkeypatch, after=1)
    with pytest.raises(RunError) as err:
        list(run_training(run))
    message = str(err.value)
    assert "\n" not in message and "No space left on device" in message
    assert "step 4" in message and "step 2" in message and "kept" in message
    assert len(calls) == 2
    assert not list(run.path.glob(".*.tmp"))  # the half-written file is gone
    monkeypatch.undo()
    assert run.load_state()["step"] == 2  # intact and loadable
    reports = list(run_training(run, resume=True))
    assert reports[0].step == 3 and reports[-1].step == 6
