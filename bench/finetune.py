"""Benchmark a 100-image fine-tune of ``emoji-all-gan`` on this machine: time to a result.

Fine-tunes the shipped ``emoji-all-gan`` (the GAN of the whole emoji set; or the model
``--from`` names) on a folder of about 100 images with the settings the Train panel
suggests for that set size (batch 16, 1,000 steps, augmentation by set size, R1), as an
artist would. Every ``--every`` steps it exports the run and draws the same 64 samples
(seed 0) as a contact sheet, so you can see when the result becomes recognisable, and
measures them against the training images with the shipped ``studio-features`` network
(FID, KID, precision/recall: "studio features", not the standard Inception figures).
Training time is counted without the time spent measuring.

Prints JSON and writes ``OUT/finetune.json``, ``OUT/before.png``, ``OUT/step-NNNNN.png``
and ``OUT/after.png``.

    python bench/finetune.py --out DIR [--data DIR] [--steps 1000] [--batch 16]
                             [--every 100] [--cpu-bf16] [--run RUN] [--from MODEL]

Without ``--data`` the set is 100 smileys and other faces of the Noto Color Emoji font
(``fonts-noto-color-emoji``: U+1F600–1F637, U+1F641–1F644, U+1F910–1F92F, U+1F970–1F977).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from studio.imaging.grid import contact_sheet
from studio.models.catalog import resolve_model
from studio.models.checkpoint import LoadedModel, load_checkpoint
from studio.pipelines.metrics import compare
from studio.pipelines.sample import GenerateRequest, generate_images
from studio.training.dataset import load_folder
from studio.training.emoji import build_emoji_folder
from studio.training.export import export_run
from studio.training.run import TrainConfig
from studio.training.session import open_run, run_training

BASE = "emoji-all-gan"  # emoji-gan draws faces already: no test of fine-tuning
FACES = [  # 100 smileys and other faces
    *range(0x1F600, 0x1F638),
    *range(0x1F641, 0x1F645),
    *range(0x1F910, 0x1F930),
    *range(0x1F970, 0x1F978),
]


def face_folder(out: Path) -> Path:
    """The 100 face emoji of the system's Noto Color Emoji, as 64 px PNGs on white."""
    count, problems = build_emoji_folder(out, 64, only=FACES)
    if count != len(FACES):
        raise SystemExit(f"Only {count} of the {len(FACES)} faces were found: {problems}")
    return out


def samples(model: LoadedModel) -> np.ndarray:
    return generate_images(model, GenerateRequest(64, 0))


def sheet(images: np.ndarray, path: Path) -> None:
    Image.fromarray(contact_sheet(list(images), columns=8, gap=2)).save(path)


def measure(net: LoadedModel, real: np.ndarray, fake: np.ndarray) -> dict[str, float]:
    q = compare(net, real, fake)
    return {
        "fid": round(q.fid, 2),
        "kid": round(q.kid, 4),
        "precision": round(q.precision, 3),
        "recall": round(q.recall, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--data", type=Path)
    ap.add_argument("--from", dest="base", default=BASE, help="model to fine-tune (name or file)")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--cpu-bf16", action="store_true")
    ap.add_argument("--run", type=Path, help="keep the run here (default: a temporary folder)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="studio-finetune-"))
    # A kept run keeps its data beside it, so it can be exported (with its provenance)
    # or resumed later.
    faces = args.run.with_name(args.run.name + "-data") if args.run else work / "faces"
    data = args.data or face_folder(faces)

    net = load_checkpoint(resolve_model("studio-features"), "cpu")
    real = load_folder(data, 64, split="all").images
    base = load_checkpoint(resolve_model(args.base), "cpu")
    before = samples(base)
    sheet(before, args.out / "before.png")
    cfg = TrainConfig(
        kind="gan",
        data=str(Path(data).resolve()),
        init_from=args.base,
        steps=args.steps,
        batch=args.batch,
        checkpoint_every=args.every,
        checkpoint_minutes=0,  # measure at --every steps only, not also by time
        preview_every=args.every,
        cpu_bf16=args.cpu_bf16,
        device="cpu",
        command="python " + shlex.join(["bench/finetune.py", *sys.argv[1:]]),
    )
    run = open_run(args.run or work / "run", cfg, resume=False)
    points: list[dict[str, Any]] = [{"step": 0, "train_s": 0.0, **measure(net, real, before)}]
    train_s = 0.0
    steps = run_training(run)
    while True:
        t0 = time.perf_counter()
        report = next(steps, None)
        train_s += time.perf_counter() - t0
        if report is None:
            break
        if not report.checkpointed:
            continue
        path, _ = export_run(run.path, "finetuned", work / "models", overwrite=True)
        fake = samples(load_checkpoint(path, "cpu"))
        sheet(fake, args.out / f"step-{report.step:05d}.png")
        points.append(
            {"step": report.step, "train_s": round(train_s, 1), **measure(net, real, fake)}
        )
    shutil.copy(args.out / f"step-{args.steps:05d}.png", args.out / "after.png")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    report_json = {
        "bench": "finetune",
        "base": args.base,
        "base_steps": base.meta.get("training", {}).get("steps"),
        "data": str(args.data) if args.data else "100 Noto Color Emoji faces",
        "images": len(real),
        "trained_on": len(load_folder(data, 64).images),
        "batch": args.batch,
        "steps": args.steps,
        "cpu_bf16": args.cpu_bf16,
        "torch_threads": torch.get_num_threads(),
        "cores": os.cpu_count(),
        "features": "studio features (not the standard Inception)",
        "points": points,
        "train_minutes": round(train_s / 60, 2),
        "git": head.stdout.strip(),
    }
    text = json.dumps(report_json, indent=2)
    print(text)
    (args.out / "finetune.json").write_text(text + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
