"""The loop every trainer shares: resume, step, log, preview, checkpoint, cancel.

A trainer supplies the model-specific parts (see :class:`Trainer`); ``train`` is a
generator that yields a :class:`StepReport` after every step, so the CLI draws a
progress bar, the engine forwards events and tests take a few steps, all from one loop.
With several processes (``rank``/``world``), each trains on its shard of every global
batch and only rank 0 writes anything.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.imaging.grid import contact_sheet
from studio.models.device import describe_device, pick_device
from studio.training.dataset import BatchOrder, FolderData, load_folder, to_tensor
from studio.training.run import Run, RunError, StepReport, Throughput, TrainConfig, step_generator

CACHE_FILE = "data-cache.npz"
NO_CHECKPOINT = "no checkpoint yet: starting again"


def save_failed(run: Run, step: int, last_saved: int, exc: OSError) -> str:
    """One line for a checkpoint that could not be written (a full disk, most often)."""
    reason = exc.strerror or str(exc)
    kept = (
        f"the last good checkpoint (step {last_saved}) is kept"
        if run.state_path.is_file()
        else "no checkpoint was saved before it"
    )
    return f"Could not save the checkpoint of step {step} in {run.path}: {reason}; {kept}."


class Trainer:
    """Model-specific parts of a training run; subclasses fill them in."""

    def __init__(
        self,
        cfg: TrainConfig,
        data: FolderData,
        device: torch.device,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        if cfg.batch % world:
            raise RunError(f"The batch size {cfg.batch} does not split over {world} processes.")
        self.cfg = cfg
        self.data = data
        self.device = device
        self.rank, self.world = rank, world
        self.order = BatchOrder(len(data), cfg.batch, cfg.seed)
        torch.manual_seed(cfg.seed)  # initial weights are a function of the seed
        self.setup()

    def setup(self) -> None:
        """Build the models and optimizers (``cfg``, ``data`` and ``device`` are set)."""
        raise NotImplementedError

    def batch(self, step: int) -> torch.Tensor:
        """This process's real images of ``step`` as float [-1, 1] on the device."""
        idx = self.order.indices(step, self.rank, self.world)
        return to_tensor(self.data.images[idx]).to(self.device)

    def batch_labels(self, step: int) -> torch.Tensor | None:
        if self.data.labels is None or not self.data.classes:
            return None
        idx = self.order.indices(step, self.rank, self.world)
        return torch.from_numpy(self.data.labels[idx]).to(self.device)

    def train_step(self, step: int, gen: torch.Generator) -> dict[str, float]:
        raise NotImplementedError

    def preview(self) -> np.ndarray:
        """A fixed-seed grid of samples (uint8) from the current weights."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def load_state_dict(self, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def metrics(self) -> dict[str, float]:
        """Cheap quality figures logged with each preview."""
        return {}

    def warning(self, metrics: dict[str, float]) -> str:
        """A plain-words warning about the run's health from its metrics, or ""."""
        return ""

    @property
    def model_config(self) -> dict[str, Any]:
        """The model's config fields as trained (after fine-tuning and classes)."""
        raise NotImplementedError


class SingleModelTrainer(Trainer):
    """A trainer of one module with one optimizer (the VAE, the feature network)."""

    model: torch.nn.Module
    opt: torch.optim.Optimizer

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        set_learning_rate(self.opt, self.cfg.learning_rate)

    def export_module(self) -> torch.nn.Module:
        return self.model


def set_learning_rate(opt: torch.optim.Optimizer, lr: float) -> None:
    """Use the run's configured rate after loading an optimizer's state (which carries
    the old one), so a resume with a lowered --lr takes effect."""
    for group in opt.param_groups:
        group["lr"] = lr


def sync_gradients(module: torch.nn.Module, world: int) -> None:
    """Average gradients over processes (one all-reduce per module).

    This is the all-reduce the DistributedDataParallel wrapper does, done by hand after
    each backward as StyleGAN3's training loop does: the wrapper only sees ``forward``,
    while our trainers call several methods per step (the VAE's encode and decode, G and
    D in alternating phases), and R1's double backward leaves some D parameters without
    a gradient, which the wrapper rejects unless it searches the graph every step.
    """
    if world <= 1:
        return
    import torch.distributed as dist

    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def sync_buffers(module: torch.nn.Module, world: int) -> None:
    """Average floating-point buffers (a GAN's running mean w) over processes: their
    updates are linear in the batch mean, so the average is the global-batch value."""
    if world <= 1:
        return
    import torch.distributed as dist

    for buf in module.buffers():
        if buf.is_floating_point():
            dist.all_reduce(buf)
            buf /= world


def preview_grid(images: np.ndarray, columns: int = 8) -> np.ndarray:
    return contact_sheet(list(images), columns=columns, gap=2)


def _folder_key(cfg: TrainConfig) -> str:
    """What the decoded cache depends on: the files (names, sizes, times) and settings."""
    root = Path(cfg.data)
    digest = hashlib.sha1()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            st = p.stat()
            digest.update(f"{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    settings = [_resolution(cfg), cfg.policy, list(cfg.background), cfg.holdout]
    digest.update(json.dumps(settings).encode())
    return digest.hexdigest()


def cached_data(run: Run, cfg: TrainConfig, write: bool = True) -> FolderData:
    """The run's training images, decoded once and kept in the run folder."""
    path = run.path / CACHE_FILE
    key = _folder_key(cfg)
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as f:
                if str(f["key"]) == key:
                    labels = f["labels"] if f["labels"].size else None
                    return FolderData(
                        f["images"],
                        [str(p) for p in f["paths"]],
                        [],
                        labels,
                        [str(c) for c in f["classes"]],
                    )
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is rebuilt
    data = load_folder(
        cfg.data,
        _resolution(cfg),
        split="train",
        holdout=cfg.holdout,
        policy=cfg.policy,  # type: ignore[arg-type]
        background=cfg.background,
    )
    if write:
        from studio.models.checkpoint import atomic_write

        def save(tmp: str) -> None:
            with open(tmp, "wb") as fh:
                np.savez(
                    fh,
                    key=np.array(key),
                    images=data.images,
                    paths=np.array(data.paths),
                    labels=data.labels if data.labels is not None else np.zeros(0, np.int64),
                    classes=np.array(data.classes, dtype=str),
                )

        atomic_write(path, save)
    return data


def train(
    run: Run,
    make_trainer: Callable[..., Trainer],
    resume: bool = False,
    cancel: Callable[[], bool] | None = None,
    data: FolderData | None = None,
    rank: int = 0,
    world: int = 1,
    device: torch.device | None = None,
) -> Iterator[StepReport]:
    """Run (or resume) the training described by ``run``'s config, yielding every step.

    Stops after the configured number of steps or when ``cancel()`` turns true; either
    way the last state is saved, so nothing done so far is lost.
    """
    cfg = run.read_config()
    device = device or pick_device(cfg.device)
    lead = rank == 0
    if lead:
        run.sweep_temporaries()  # what kills during earlier checkpoint writes left
    if data is None:
        data = cached_data(run, cfg, write=lead)
    trainer = make_trainer(cfg, data, device, rank, world)
    total = cfg.total_steps(len(data))
    step, seconds = 0, 0.0
    state = run.load_state() if resume else None
    notice = ""
    if state is not None:
        trainer.load_state_dict(state)
        step, seconds = int(state["step"]), float(state.get("seconds", 0.0))
    elif resume:
        notice = NO_CHECKPOINT
    if lead:
        # Steps past the checkpoint were lost with the process that logged them: they
        # are trained (and logged) again, once.
        run.trim_log(step)
    speed = Throughput()
    last_saved = step
    # Checkpoints by training time too (``seconds``: time in steps, so pauses and the
    # time before a resume do not count): a kill never loses more than ``every_s``.
    saved_seconds = seconds
    every_s = cfg.checkpoint_minutes * 60
    device_label = describe_device(device) + (f" ×{world}" if world > 1 else "")
    # What a labelled model's classes are, and how many training images each had: the
    # shares its metrics draw classes in.
    classes: list[str] = []
    class_counts: list[int] = []
    if (cfg.conditional or cfg.kind == "features") and data.labels is not None:
        classes = list(data.classes)
        class_counts = np.bincount(data.labels, minlength=len(classes)).tolist()

    def save() -> None:
        nonlocal last_saved, saved_seconds
        if lead:
            state = {
                **trainer.state_dict(),
                "step": step,
                "seconds": seconds,
                "model_config": trainer.model_config,
                "classes": classes,
                "class_counts": class_counts,
                "device": device_label,
            }
            try:
                run.save_state(state)
            except OSError as exc:  # a full disk: the write is undone, the old file kept
                raise RunError(save_failed(run, step, last_saved, exc)) from None
        last_saved, saved_seconds = step, seconds

    try:
        while step < total:
            if cancel is not None and cancel():
                break
            t0 = time.perf_counter()
            losses = trainer.train_step(step, step_generator(cfg.seed, step))
            step += 1
            seconds += time.perf_counter() - t0
            report = StepReport(
                step, total, losses, speed.add(cfg.batch), seconds, device=device_label
            )
            report.notice, notice = notice, ""
            if lead and (step % cfg.preview_every == 0 or step == total):
                report.preview = trainer.preview()
                report.metrics = trainer.metrics()
                report.warning = trainer.warning(report.metrics)
                run.save_preview(step, report.preview)
            # (With several processes only rank 0 writes, so their clocks need not agree.)
            timely = every_s > 0 and seconds - saved_seconds >= every_s
            if step % cfg.checkpoint_every == 0 or step == total or timely:
                save()
                report.checkpointed = True
            if lead and (step % cfg.log_every == 0 or report.preview is not None):
                run.log(
                    {
                        "step": step,
                        "seconds": round(seconds, 3),
                        "images_per_s": round(report.images_per_s, 2),
                        **{k: round(v, 5) for k, v in losses.items()},
                        **report.metrics,
                        **({"warning": report.warning} if report.warning else {}),
                    }
                )
            yield report
    except GeneratorExit:
        # The consumer stopped listening (window closed, job cancelled): keep the work.
        if step != last_saved:
            save()
        raise
    if step != last_saved:  # cancelled between checkpoints
        save()


def _resolution(cfg: TrainConfig) -> int:
    """The size images are decoded at: a fine-tune's is its base model's."""
    if cfg.init_from:
        from studio.models.catalog import ModelNotFound, resolve_model
        from studio.models.checkpoint import CheckpointError, read_header

        try:
            path = resolve_model(cfg.init_from)
            return int(read_header(path)["config"]["resolution"])
        except (ModelNotFound, CheckpointError, KeyError, ValueError, TypeError) as exc:
            raise RunError(f"Cannot fine-tune from {cfg.init_from}: {exc}") from None
    return int(cfg.model.get("resolution", 64))
