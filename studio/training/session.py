"""Start or resume a training run by kind: the entry the CLI and the engine share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from studio.training.dataset import FolderData
from studio.training.estimate import with_device_defaults
from studio.training.feature_d import require_features
from studio.training.features_trainer import FeaturesTrainer
from studio.training.finetune import lineage
from studio.training.gan_trainer import GANTrainer
from studio.training.loop import Trainer, train
from studio.training.run import Run, RunError, StepReport, TrainConfig
from studio.training.scan import IMAGE_SUFFIXES
from studio.training.vae_trainer import VAETrainer

TRAINERS: dict[str, type[Trainer]] = {
    "gan": GANTrainer,
    "vae": VAETrainer,
    "features": FeaturesTrainer,
}


def open_run(run_dir: str | Path, cfg: TrainConfig | None, resume: bool) -> Run:
    """Create a new run folder from ``cfg``, or reopen one to resume.

    On resume, ``cfg`` may only change the number of steps (to train longer) and the
    learning rate (to settle a run), and adds its command to the run's history;
    everything else stays as the run began.
    """
    run = Run(run_dir)
    if resume:
        saved = run.read_config()
        if cfg is not None:
            saved.steps, saved.lr = cfg.steps, cfg.lr
            if cfg.command and cfg.command != saved.command:
                saved.resumed.append(cfg.command)
            run.write_config(saved)
    else:
        if cfg is None:
            raise RunError("A new run needs its settings.")
        if not Path(cfg.data).is_dir():
            raise RunError(f"The data folder {cfg.data} does not exist.")
        if not any(
            p.suffix.lower() in IMAGE_SUFFIXES for p in Path(cfg.data).rglob("*") if p.is_file()
        ):
            raise RunError(f"The data folder {cfg.data} holds no image files.")
        if cfg.init_from:
            # Read (and checked) before the folder exists, so a wrong model leaves nothing.
            cfg.init_lineage = lineage(cfg.init_from, cfg.kind)
        if cfg.feature_d:
            require_features(cfg.feature_net)
        # A new model's size follows the device unless it was set (see estimate.py).
        cfg = with_device_defaults(cfg)
        run.create(cfg)
    return run


def run_training(
    run: Run,
    resume: bool = False,
    cancel: Callable[[], bool] | None = None,
    data: FolderData | None = None,
) -> Iterator[StepReport]:
    """Yield the steps of ``run`` with the trainer its config names."""
    kind = run.read_config().kind
    return train(run, TRAINERS[kind], resume=resume, cancel=cancel, data=data)
