"""After a cancelled or finished run, nothing of the trainer is left and memory is
handed back."""

from __future__ import annotations

import gc
import sys

import pytest
from conftest import TINY_GAN_FIELDS

import studio.engine.engine as engine_module
from studio.engine import TrainRun
from studio.engine.memory import release_memory
from studio.training.loop import Trainer


def _config(data, steps: int) -> dict:
    return {
        "kind": "gan",
        "data": str(data),
        "steps": steps,
        "batch": 4,
        "checkpoint_every": 1000,
        "preview_every": 1000,
        "device": "cpu",
        "model": dict(TINY_GAN_FIELDS),
    }


def _trainers() -> list[object]:
    gc.collect()
    # type() first: isinstance on every object would wake torch's deprecated aliases.
    return [o for o in gc.get_objects() if issubclass(type(o), Trainer)]


@pytest.mark.parametrize("cancel", [True, False])
def test_no_trainer_outlives_its_run(engine, events, shapes_dir, tmp_path, monkeypatch, cancel):
    released: list[bool] = []
    monkeypatch.setattr(engine_module, "release_memory", lambda: released.append(True))
    assert not _trainers()
    job = engine.submit(
        TrainRun(str(tmp_path / "run"), config=_config(shapes_dir, 10_000 if cancel else 3))
    )
    if cancel:
        events.wait(lambda: len(events.steps(job)) >= 2)
        engine.cancel(job)
        assert events.wait_kind(job, "cancelled", "failed").kind == "cancelled"
    else:
        assert events.wait_kind(job, "result", "failed").kind == "result"
    events.wait(lambda: not engine.training)
    assert released  # the engine gave the memory back
    assert not _trainers()  # and nothing held on to the trainer


def test_release_memory_trims_the_heap_on_linux() -> None:
    trimmed = release_memory()
    if sys.platform.startswith("linux"):
        assert trimmed
