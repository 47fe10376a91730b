"""Ctrl+C during `train` stops after the step it is in and saves that step."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import TINY_VAE_FIELDS, make_shapes_folder

from studio.training.run import Run


def test_ctrl_c_saves_the_step_it_stopped_at(tmp_path: Path) -> None:
    data = make_shapes_folder(tmp_path / "shapes", count=12, size=32)
    run_dir = tmp_path / "run"
    options = [f"--model-option={k}={v}" for k, v in TINY_VAE_FIELDS.items()]
    cmd = [sys.executable, "-m", "studio", "train", "vae", "--data", str(data)]
    cmd += ["--run", str(run_dir), "--steps", "100000", "--batch", "4", "--device", "cpu"]
    cmd += ["--checkpoint-every", "100000", "--checkpoint-minutes", "0", *options]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    try:
        log = run_dir / "log.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (log.exists() and log.read_text().strip()):
            time.sleep(0.2)  # until steps are being logged
        assert log.exists(), "training never started"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Stopped at step" in err and "Traceback" not in err
    state = Run(run_dir).load_state()
    assert state is not None and state["step"] >= 1  # no checkpoint was due: saved on stop
    said = int(err.split("Stopped at step ")[1].split()[0].replace(",", ""))
    assert state["step"] == said
    assert json.loads(log.read_text().splitlines()[-1])["step"] <= said
