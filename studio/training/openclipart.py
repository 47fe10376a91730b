"""Build a class-labelled folder from Openclipart (the Debian package ``openclipart-png``):
one subfolder per top-level category, for training the "studio features" network."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from studio.imaging.decode import ImageError, load_image
from studio.imaging.resize import fit_square

DEFAULT_ROOT = Path("/usr/share/openclipart/png")
HINT = (
    "Openclipart was not found. On Debian or Ubuntu install it with "
    "`sudo apt-get install openclipart-png`, or pass --source DIR."
)


def build_openclipart_folder(
    out_dir: str | Path,
    size: int = 64,
    source: str | Path | None = None,
    min_per_class: int = 40,
    extra_class: tuple[str, Path] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write ``out/CATEGORY/NAME.png`` on white; returns images per class.

    ``extra_class`` adds a (name, folder) pair as one more class, e.g. the emoji set, so
    the features also know the domain our shipped models draw.
    """
    root = Path(source) if source else DEFAULT_ROOT
    if not root.is_dir():
        raise FileNotFoundError(HINT)
    groups = {d.name: sorted(d.rglob("*.png")) for d in sorted(root.iterdir()) if d.is_dir()}
    if extra_class is not None:
        groups[extra_class[0]] = sorted(Path(extra_class[1]).rglob("*.png"))
    groups = {k: v for k, v in groups.items() if len(v) >= min_per_class}
    if len(groups) < 2:
        raise FileNotFoundError(f"Fewer than two categories with {min_per_class} images. " + HINT)
    out = Path(out_dir)
    total = sum(len(v) for v in groups.values())
    counts: dict[str, int] = {}
    done = 0
    for name, files in groups.items():
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        counts[name] = 0
        for i, f in enumerate(files):
            done += 1
            try:
                rgb = load_image(f).rgb
            except ImageError:
                continue
            img = fit_square(rgb, size, policy="pad")
            Image.fromarray(np.ascontiguousarray(img)).save(folder / f"{i:05d}.png")
            counts[name] += 1
            if progress:
                progress(done, total)
    info = {
        "name": "Openclipart categories" + (f" + {extra_class[0]}" if extra_class else ""),
        "source": f"Debian package openclipart-png ({root})",
        "licence": "public domain" + (" (+ Apache-2.0 emoji)" if extra_class else ""),
        "count": sum(counts.values()),
        "classes": counts,
        "size": size,
    }
    (out / "DATASET.json").write_text(json.dumps(info, indent=2))
    return counts
