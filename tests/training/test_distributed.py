"""Two processes (gloo, CPU) train like one process with the same global batch."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import torch
from conftest import TINY_GAN_FIELDS

from studio.training.ddp import torchrun_command
from studio.training.run import TrainConfig
from studio.training.session import open_run, run_training


def test_two_gloo_processes_match_one(shapes_dir: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(
        kind="gan",
        data=str(shapes_dir),
        steps=4,
        batch=8,
        model=TINY_GAN_FIELDS,
        checkpoint_every=4,
        preview_every=100,
        r1_every=2,
    )
    one = open_run(tmp_path / "one", copy.deepcopy(cfg), resume=False)
    for _ in run_training(one):
        pass
    open_run(tmp_path / "two", copy.deepcopy(cfg), resume=False)
    proc = subprocess.run(
        torchrun_command(tmp_path / "two", 2, resume=False),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    a = torch.load(tmp_path / "one" / "state.pt", weights_only=True)
    b = torch.load(tmp_path / "two" / "state.pt", weights_only=True)
    assert a["step"] == b["step"] == 4
    for net in ("G", "D", "G_ema"):
        for name, tensor in a[net].items():
            torch.testing.assert_close(b[net][name], tensor, atol=2e-4, rtol=1e-3, msg=name)
    # Only rank 0 wrote: one log line per logged step, not two.
    log = (tmp_path / "two" / "log.jsonl").read_text().splitlines()
    assert len(log) == len((tmp_path / "one" / "log.jsonl").read_text().splitlines())

    # Resume the two-process run with one process: it carries on from step 4.
    two = open_run(tmp_path / "two", None, resume=True)
    cfg_more = two.read_config()
    cfg_more.steps = 5
    two.write_config(cfg_more)
    steps = [r.step for r in run_training(two, resume=True)]
    assert steps == [5]
