"""The whole core runs with PySide6 and qdarkstyle unavailable (as on a headless server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import importlib.abc
    import json
    import sys
    import tempfile
    from pathlib import Path

    BLOCKED = ("PySide6", "qdarkstyle", "shiboken6")

    class NoQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked for this test")
            return None

    sys.meta_path.insert(0, NoQt())
    try:
        import PySide6  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("the blocker does not work")

    import torch

    torch.set_num_threads(1)

    import studio.cli  # noqa: F401
    import studio.imaging.metadata  # noqa: F401
    import studio.training.export  # noqa: F401
    import studio.training.session  # noqa: F401
    from studio.engine import Engine, GenerateGrid, LoadModel, RenderLatent, TrainRun
    from studio.models.checkpoint import metadata_for, save_checkpoint
    from studio.models.gan import GANConfig, StyleGenerator

    folder = Path(sys.argv[1])
    torch.manual_seed(0)
    gan = StyleGenerator(GANConfig(resolution=32, z_dim=8, w_dim=16, mapping_layers=2,
                                   channel_base=128, channel_max=16))
    save_checkpoint(gan, folder / "qtless.safetensors", metadata_for(gan, name="qtless"))

    engine = Engine("cpu")
    info = engine.call(LoadModel("qtless"), timeout=60)
    frame = engine.call(RenderLatent("qtless", seed=1, edits=(2.0,)), timeout=60)
    grid = engine.call(GenerateGrid("qtless", count=3, seed=2), timeout=60)

    # Train a tiny VAE for two steps through the train lane, then export it.
    import numpy as np
    from PIL import Image

    data = folder / "data"
    data.mkdir()
    for i in range(8):
        img = np.full((32, 32, 3), 255, np.uint8)
        img[i * 3 : i * 3 + 8, 4 : 4 + 3 * i] = (30 * i, 90, 200 - 20 * i)
        Image.fromarray(img).save(data / f"{i}.png")
    config = {"kind": "vae", "data": str(data), "steps": 2, "batch": 4, "holdout": 0.0,
              "device": "cpu", "model": {"resolution": 32, "latent_dim": 8,
                                         "base_channels": 4, "max_channels": 16}}
    train = engine.call(TrainRun(str(folder / "run"), config=config), "train", timeout=120)
    from studio.training.export import export_run

    exported, _ = export_run(folder / "run", "qtless-vae", out=folder)
    vae = engine.call(LoadModel(str(exported)), timeout=60)
    assert engine.shutdown(5.0)
    print(json.dumps({
        "kind": info.kind,
        "frame": list(frame.image.shape),
        "grid": list(grid.shape),
        "trained_steps": train.step,
        "vae": vae.kind,
        "qt_loaded": sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED),
    }))
    """
)


def test_core_runs_without_qt(tmp_path):
    env = {
        **os.environ,
        "LATENT_STUDIO_CHECKPOINTS": str(tmp_path),
        "LATENT_STUDIO_HOME": str(tmp_path / "home"),
        "OMP_NUM_THREADS": "1",
    }
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {
        "kind": "gan",
        "frame": [32, 32, 3],
        "grid": [3, 32, 32, 3],
        "trained_steps": 2,
        "vae": "vae",
        "qt_loaded": [],
    }
