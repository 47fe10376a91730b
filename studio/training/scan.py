"""Look at a folder before training on it: what is usable, what is skipped and why.

Nothing in the user's folder is ever modified. The same pass decodes each usable image
to the model's resolution, so training never decodes twice.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from studio.imaging.decode import DecodeLimits, ImageError, load_image
from studio.imaging.resize import ResizePolicy, fit_square
from studio.pipelines.cancel import CancelToken

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
MIN_SIDE = 16
NEAR_DUPLICATE_BITS = 4  # of 64 in the difference hash: the cheap first test
# 99th percentile of |difference| between 16×16 colour thumbnails, in 0–255 levels: low
# for re-encoded or resized copies, high for variants that differ in one region.
NEAR_DUPLICATE_LEVELS = 12.0
# The description a data builder (``data emoji``, ``data openclipart``) writes into the
# folder it makes: the data's provenance, not one of its images.
DESCRIPTION = "DATASET.json"


@dataclass
class ScanEntry:
    """One file of the folder and what the scan decided about it."""

    path: str  # relative to the folder, with forward slashes
    usable: bool
    reason: str = ""
    category: str = ""  # the reason without details, for counting
    conversions: list[str] = field(default_factory=list)
    size: tuple[int, int] = (0, 0)
    label: str = ""  # the top-level subfolder, for class-conditional training


@dataclass
class ScanReport:
    """What a folder holds for training."""

    root: str
    entries: list[ScanEntry]
    images: np.ndarray | None = None  # (N, R, R, 3) uint8 of the usable entries, in order

    @property
    def usable(self) -> list[ScanEntry]:
        return [e for e in self.entries if e.usable]

    @property
    def skipped(self) -> list[ScanEntry]:
        return [e for e in self.entries if not e.usable]

    @property
    def classes(self) -> list[str]:
        """Subfolder names usable as classes: offered when every usable image has one."""
        usable = self.usable
        labels = {e.label for e in usable}
        if not usable or "" in labels or len(labels) < 2:
            return []
        return sorted(labels)

    def conversion_counts(self) -> Counter[str]:
        return Counter(c for e in self.usable for c in e.conversions)

    def skip_counts(self) -> Counter[str]:
        return Counter(e.category for e in self.skipped)

    def summary(self) -> str:
        """The report in plain words, as the CLI prints it and the window shows it."""
        from studio.imaging.export import counted

        usable = counted(len(self.usable), "image")
        lines = [f"{usable} usable, {len(self.skipped)} skipped in {self.root}"]
        for reason, n in sorted(self.skip_counts().items()):
            lines.append(f"  skipped {n}: {reason}")
        for conv, n in sorted(self.conversion_counts().items()):
            lines.append(f"  converted {n}: {conv}")
        if self.classes:
            lines.append(f"  classes ({len(self.classes)}): {', '.join(self.classes)}")
        return "\n".join(lines)


def difference_hash(rgb: np.ndarray) -> int:
    """64-bit dHash: which neighbouring pixels get brighter on a 9×8 greyscale thumbnail."""
    grey = Image.fromarray(rgb).convert("L").resize((9, 8), Image.Resampling.BILINEAR)
    px = np.asarray(grey, dtype=np.int16)
    bits = (px[:, 1:] > px[:, :-1]).ravel()
    return int(np.packbits(bits).view(">u8")[0])


def _thumb(rgb: np.ndarray) -> np.ndarray:
    small = Image.fromarray(rgb).resize((16, 16), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32)


def _popcount(x: np.ndarray) -> np.ndarray:
    return np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(1)


def scan_folder(
    root: str | Path,
    resolution: int | None = None,
    policy: ResizePolicy = "pad",
    background: tuple[int, int, int] = (255, 255, 255),
    min_side: int = MIN_SIDE,
    limits: DecodeLimits | None = None,
    progress: Callable[[float], None] | None = None,
    cancel: CancelToken | None = None,
) -> ScanReport:
    """Check every file under ``root``; with ``resolution``, also decode usable images."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"The folder {root} does not exist.")
    files = sorted(
        p
        for p in root.rglob("*")
        # Everything but folders: a pipe, a device or a broken link is reported as
        # skipped (the safe reader refuses it) rather than silently left out.
        if not p.is_dir() and not p.name.startswith(".") and p != root / DESCRIPTION
    )
    entries: list[ScanEntry] = []
    fitted: list[np.ndarray] = []
    exact: dict[str, str] = {}
    hashes: list[int] = []
    thumbs: list[np.ndarray] = []
    hash_paths: list[str] = []
    for i, p in enumerate(files):
        if cancel is not None:
            cancel.check()
        rel = p.relative_to(root).as_posix()
        label = rel.split("/")[0] if "/" in rel else ""
        entry = ScanEntry(rel, False, label=label)
        entries.append(entry)
        if progress and i % 16 == 0:
            progress(i / max(1, len(files)))
        try:
            decoded = load_image(p, limits=limits, background=background)
        except ImageError as exc:
            entry.category = exc.category or "corrupt or truncated"
            entry.reason = f"{entry.category}: {exc}"
            continue
        rgb = decoded.rgb
        h, w = rgb.shape[:2]
        entry.size = (w, h)
        entry.conversions = decoded.conversions
        if min(h, w) < min_side:
            entry.category = "too small"
            entry.reason = f"too small: {w}×{h}, at least {min_side} px a side"
            continue
        digest = hashlib.sha1(rgb.tobytes() + bytes(str(rgb.shape), "ascii")).hexdigest()
        if digest in exact:
            entry.category = "exact duplicate"
            entry.reason = f"exact duplicate of {exact[digest]}"
            continue
        dh, thumb = difference_hash(rgb), _thumb(rgb)
        if hashes:
            # Same shape by the hash, and the same colours too: recompressed or resized
            # copies, not a recoloured variant (skin tones are different pictures).
            dist = _popcount(np.asarray(hashes, dtype=np.uint64) ^ np.uint64(dh))
            for j in np.flatnonzero(dist <= NEAR_DUPLICATE_BITS):
                if np.percentile(np.abs(thumbs[j] - thumb), 99) < NEAR_DUPLICATE_LEVELS:
                    entry.category = "near duplicate"
                    entry.reason = f"near duplicate of {hash_paths[j]}"
                    break
            if entry.category:
                continue
        exact[digest] = rel
        hashes.append(dh)
        thumbs.append(thumb)
        hash_paths.append(rel)
        entry.usable = True
        if resolution:
            fitted.append(fit_square(rgb, resolution, policy=policy, background=background))
    if progress:
        progress(1.0)
    images = np.stack(fitted) if fitted else None
    return ScanReport(str(root), entries, images)
