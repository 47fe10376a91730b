"""A folder of images as an in-memory uint8 tensor, with a fixed held-out split.

Images are decoded once (safely, through ``studio.imaging``), fitted to the model's
resolution and kept in memory, so epochs never re-decode. Batch order is a pure function
of (seed, step): resuming at step k draws exactly the batch an uninterrupted run would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import torch
from torch.utils.data import Dataset
from torch.utils.data.distributed import DistributedSampler

from studio.imaging.resize import ResizePolicy
from studio.pipelines.sample import to_uint8
from studio.training.scan import scan_folder

__all__ = ["to_uint8"]  # re-exported: trainers turn previews into pixels with it


class DatasetError(ValueError):
    """The folder cannot be trained on; the message is for people."""


@dataclass
class FolderData:
    """Decoded images (N, R, R, 3) uint8, their paths, labels, and what was skipped."""

    images: np.ndarray
    paths: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    labels: np.ndarray | None = None  # class index per image, when the folder has classes
    classes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paths)


def in_holdout(rel_path: str, fraction: float) -> bool:
    """Whether an image belongs to the held-out split (stable: a hash of its path)."""
    if fraction <= 0:
        return False
    h = int.from_bytes(hashlib.sha1(rel_path.encode("utf-8")).digest()[:8], "big")
    return (h / 2**64) < fraction


def load_folder(
    root: str | Path,
    resolution: int,
    split: str = "train",
    holdout: float = 0.1,
    policy: ResizePolicy = "pad",
    background: tuple[int, int, int] = (255, 255, 255),
    progress: Callable[[float], None] | None = None,
) -> FolderData:
    """Scan and decode the images of ``split`` ("train", "holdout" or "all").

    Duplicates, corrupt files and the like are skipped as the scan report says; when
    every image sits in a subfolder, the subfolder names become class labels.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"The data folder {root} does not exist.")
    report = scan_folder(root, resolution, policy, background, progress=progress)
    usable = report.usable
    classes = report.classes
    keep = [
        i
        for i, e in enumerate(usable)
        if split == "all" or (split == "holdout") == in_holdout(e.path, holdout)
    ]
    if not keep or report.images is None:
        raise DatasetError(
            f"No usable images in {root} (split {split!r}): {len(report.entries)} files, "
            f"{len(report.skipped)} skipped."
            + (
                f" First problem: {report.skipped[0].path}: {report.skipped[0].reason}."
                if report.skipped
                else ""
            )
        )
    labels = None
    if classes:
        index = {c: k for k, c in enumerate(classes)}
        labels = np.asarray([index[usable[i].label] for i in keep], dtype=np.int64)
    return FolderData(
        report.images[keep],
        [usable[i].path for i in keep],
        [(e.path, e.reason) for e in report.skipped],
        labels,
        classes,
    )


def to_tensor(batch: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) → float (N, 3, H, W) in [-1, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float()
    return t / 127.5 - 1.0


class BatchOrder:
    """Which samples go into each step's batch: a pure function of (seed, step).

    Each process's share comes from torch's ``DistributedSampler`` (shuffled per epoch
    from ``seed`` and the epoch, last partial batch dropped), read ``batch // world`` at
    a time. Rank ``r`` of ``world`` then holds items ``r, r + world, …`` of the same
    global batch whatever ``world`` is, so a run can resume on a different number of
    processes and see exactly the batches it would have seen.
    """

    def __init__(self, n: int, batch: int, seed: int) -> None:
        self.n, self.batch, self.seed = n, batch, seed
        # A set smaller than a batch is repeated, so that an epoch holds a whole batch.
        self.copies = -(-batch // n)
        self.steps_per_epoch = n * self.copies // batch
        self._key: tuple[int, int, int] | None = None
        self._shard = np.arange(0)

    def _shard_for(self, epoch: int, rank: int, world: int) -> np.ndarray:
        if self._key != (epoch, rank, world):
            # The sampler only needs the set's length: a range stands in for it.
            items = cast("Dataset[int]", range(self.n * self.copies))
            sampler: DistributedSampler[int] = DistributedSampler(
                items,
                num_replicas=world,
                rank=rank,
                shuffle=True,
                seed=self.seed,
                drop_last=True,
            )
            sampler.set_epoch(epoch)
            self._shard = np.fromiter(sampler, dtype=np.int64) % self.n
            self._key = (epoch, rank, world)
        return self._shard

    def indices(self, step: int, rank: int = 0, world: int = 1) -> np.ndarray:
        """Sample indices of ``step``'s global batch, or of this rank's shard of it."""
        if self.batch % world:
            raise ValueError(f"A batch of {self.batch} does not split over {world} processes.")
        epoch, within = divmod(step, self.steps_per_epoch)
        per = self.batch // world
        return self._shard_for(epoch, rank, world)[within * per : (within + 1) * per]

    def epoch_of(self, step: int) -> float:
        return step / self.steps_per_epoch
