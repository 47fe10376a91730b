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

import numpy as np
import torch

from studio.imaging.decode import ImageError, load_image
from studio.imaging.resize import ResizePolicy, fit_square
from studio.pipelines.sample import to_uint8

__all__ = ["to_uint8"]  # re-exported: trainers turn previews into pixels with it

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


class DatasetError(ValueError):
    """The folder cannot be trained on; the message is for people."""


@dataclass
class FolderData:
    """Decoded images (N, R, R, 3) uint8 plus what was skipped and why."""

    images: np.ndarray
    paths: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paths)


def in_holdout(rel_path: str, fraction: float) -> bool:
    """Whether an image belongs to the held-out split (stable: a hash of its path)."""
    if fraction <= 0:
        return False
    h = int.from_bytes(hashlib.sha1(rel_path.encode("utf-8")).digest()[:8], "big")
    return (h / 2**64) < fraction


def list_images(root: Path) -> list[Path]:
    """Image-like files under ``root``, recursively, sorted for a stable order."""
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def load_folder(
    root: str | Path,
    resolution: int,
    split: str = "train",
    holdout: float = 0.1,
    policy: ResizePolicy = "pad",
    progress: Callable[[int, int], None] | None = None,
) -> FolderData:
    """Decode the images of ``split`` ("train", "holdout" or "all") at ``resolution``."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"The data folder {root} does not exist.")
    files = list_images(root)
    chosen = []
    for p in files:
        rel = p.relative_to(root).as_posix()
        held = in_holdout(rel, holdout)
        if split == "all" or (split == "holdout") == held:
            chosen.append((p, rel))
    images: list[np.ndarray] = []
    paths: list[str] = []
    skipped: list[tuple[str, str]] = []
    for i, (p, rel) in enumerate(chosen):
        try:
            rgb = load_image(p).rgb
        except ImageError as exc:
            skipped.append((rel, str(exc)))
            continue
        images.append(fit_square(rgb, resolution, policy=policy))
        paths.append(rel)
        if progress:
            progress(i + 1, len(chosen))
    if not images:
        raise DatasetError(
            f"No usable images in {root} (split {split!r}): "
            f"{len(files)} image files found, {len(skipped)} unreadable."
        )
    return FolderData(np.stack(images), paths, skipped)


def to_tensor(batch: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) → float (N, 3, H, W) in [-1, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float()
    return t / 127.5 - 1.0


class BatchOrder:
    """Which samples go into each step's batch: shuffled epochs, a function of (seed, step)."""

    def __init__(self, n: int, batch: int, seed: int) -> None:
        self.n, self.batch, self.seed = n, batch, seed
        self._perm_epoch = -1
        self._perm = np.arange(n)

    def _perm_for(self, epoch: int) -> np.ndarray:
        if epoch != self._perm_epoch:
            rng = np.random.default_rng([self.seed, epoch])
            self._perm = rng.permutation(self.n)
            self._perm_epoch = epoch
        return self._perm

    def indices(self, step: int, rank: int = 0, world: int = 1) -> np.ndarray:
        """Sample indices of ``step``'s global batch, or of this rank's shard of it."""
        start = step * self.batch
        out = np.empty(self.batch, dtype=np.int64)
        for j in range(self.batch):
            epoch, pos = divmod(start + j, self.n)
            out[j] = self._perm_for(epoch)[pos]
        return out[rank::world]

    def epoch_of(self, step: int) -> float:
        return step * self.batch / self.n
