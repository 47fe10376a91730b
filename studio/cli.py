"""The ``latent-studio`` command line: everything headless, for scripts and tests.

Every failure a person can cause (unknown model, bad file, unwritable folder) ends in one
plain line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_USAGE = 2
EXIT_FAILED = 1


class CliError(Exception):
    """A failure to report as one line."""


def _progress_bar(label: str, total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="step", dynamic_ncols=True, file=sys.stderr)


# ---------------------------------------------------------------- models / generate


def cmd_models(args: argparse.Namespace) -> int:
    from studio.models.catalog import list_models

    entries = list_models()
    if args.json:
        print(json.dumps([e.as_dict() for e in entries], indent=2))
        return 0
    if not entries:
        print("No models found. Shipped models live in checkpoints/; yours in", end=" ")
        from studio.models.catalog import user_model_dir

        print(user_model_dir())
        return 0
    rows = [("NAME", "ARCH", "RES", "DATA", "LICENCE", "SIZE")]
    for e in entries:
        rows.append(
            (e.name, e.arch, f"{e.resolution}px", e.data_name, e.licence, f"{e.size_mb:.1f} MB")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    bad = [e for e in entries if e.error]
    for e in bad:
        print(f"! {e.path.name}: {e.error}", file=sys.stderr)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from studio.pipelines.sample import GenerateRequest, generate_images
    from studio.imaging.metadata import save_image

    if args.count < 1 or args.count > 4096:
        raise CliError("--count must be between 1 and 4096.")
    if not 0.0 <= args.truncation <= 2.0:
        raise CliError("--truncation must be between 0 and 2.")
    out = Path(args.out)
    _ensure_writable(out)
    model = _load_model(args.model, args.device)
    req = GenerateRequest(count=args.count, seed=args.seed, truncation=args.truncation)
    images = generate_images(model, req)
    written = []
    for i, img in enumerate(images):
        recipe = {
            "model": model.name,
            "seed": args.seed,
            "index": i,
            "truncation": args.truncation,
        }
        path = out / f"{model.name}-{args.seed}-{i:04d}.png"
        save_image(img, path, recipe=recipe)
        written.append(path)
    if args.grid:
        from studio.imaging.grid import contact_sheet

        grid_path = Path(args.grid)
        _ensure_writable(grid_path.parent if str(grid_path.parent) else Path("."))
        save_image(
            contact_sheet(list(images)),
            grid_path,
            recipe={"model": model.name, "seed": args.seed, "count": args.count,
                    "truncation": args.truncation, "grid": True},
        )
    print(f"Wrote {len(written)} images to {out}" + (f" and a grid to {args.grid}" if args.grid else ""))
    return 0


def _load_model(name: str, device: str) -> Any:
    from studio.models.catalog import ModelNotFound, resolve_model
    from studio.models.checkpoint import CheckpointError, load_checkpoint
    from studio.models.device import pick_device

    try:
        dev = pick_device(device)
        path = resolve_model(name)
        return load_checkpoint(path, dev)
    except (ModelNotFound, CheckpointError, ValueError) as exc:
        raise CliError(str(exc)) from None


def _ensure_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"Cannot create the folder {folder}: {exc.strerror or exc}.") from None
    probe = folder / ".latent-studio-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CliError(f"Cannot write to {folder}: {exc.strerror or exc}.") from None


# ---------------------------------------------------------------- data / train / export


def cmd_data_emoji(args: argparse.Namespace) -> int:
    from studio.training.emoji import FontError, build_emoji_folder

    if not 16 <= args.size <= 512:
        raise CliError("--size must be between 16 and 512.")
    _ensure_writable(Path(args.out))
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = _progress_bar("emoji", total)
        bar.update(done - bar.n)

    try:
        count, problems = build_emoji_folder(args.out, args.size, args.font, progress)
    except FontError as exc:
        raise CliError(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
    for p in problems[:10]:
        print(f"skipped {p}", file=sys.stderr)
    print(f"Wrote {count} emoji images ({args.size}×{args.size}) to {args.out}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from studio.training.dataset import DatasetError
    from studio.training.run import RunError, TrainConfig
    from studio.training.session import open_run, run_training

    model_fields: dict[str, Any] = {"resolution": args.resolution}
    for item in args.model_option or []:
        key, _, value = item.partition("=")
        if not key or not value:
            raise CliError(f"--model-option takes KEY=VALUE, not {item!r}.")
        model_fields[key] = json.loads(value) if value[0] in "0123456789-[{.tf" else value
    try:
        cfg = None
        if not args.resume:
            if not args.data:
                raise CliError("A new run needs --data DIR.")
            cfg = TrainConfig(
                kind=args.kind,
                data=str(Path(args.data).resolve()),
                steps=args.steps or 20000,
                batch=args.batch,
                lr=args.lr,
                seed=args.seed,
                checkpoint_every=args.checkpoint_every,
                preview_every=args.preview_every,
                beta=args.beta,
                r1_gamma=args.r1_gamma,
                device=args.device,
                model=model_fields,
                command="latent-studio " + shlex.join(sys.argv[1:]),
            )
        elif args.steps:
            from studio.training.run import Run

            cfg = Run(args.run).read_config()
            cfg.steps = args.steps
        run = open_run(args.run, cfg, resume=args.resume)
        total = run.read_config().steps
        bar = None
        for report in run_training(run, resume=args.resume):
            if bar is None:
                bar = _progress_bar(f"train {args.kind}", total)
                bar.update(report.step - 1)
            bar.update(1)
            shown = {k: f"{v:.3g}" for k, v in report.losses.items() if k != "d_real_sign"}
            shown["img/s"] = f"{report.images_per_s:.1f}"
            bar.set_postfix(shown, refresh=False)
            if report.metrics:
                bar.write(f"step {report.step}: " + ", ".join(
                    f"{k}={v}" for k, v in report.metrics.items()))
        if bar is not None:
            bar.close()
    except (RunError, DatasetError) as exc:
        raise CliError(str(exc)) from None
    except KeyboardInterrupt:
        print("\nStopped. Continue with --resume; the last checkpoint is kept.", file=sys.stderr)
        return 130
    print(f"Training state saved in {args.run}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from studio.training.export import ExportError, export_run

    try:
        path, meta = export_run(args.run, args.name, out=args.out, half=not args.fp32)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    print(f"Exported {args.name} to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    figures = meta.get("figures", {})
    if figures:
        print("Measured: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    return 0


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="latent-studio",
        description="Latent Studio: make and train generative image models on your machine. "
        "With no command, opens the studio window.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    m = sub.add_parser("models", help="list the models Latent Studio can find")
    m.add_argument("--json", action="store_true", help="machine-readable output")
    m.set_defaults(func=cmd_models)

    g = sub.add_parser("generate", help="sample images from a model")
    g.add_argument("--model", required=True, help="a model name (see `models`) or a file path")
    g.add_argument("--count", type=int, default=16)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--truncation", type=float, default=1.0)
    g.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    g.add_argument("--out", required=True, help="folder for the PNGs")
    g.add_argument("--grid", help="also write one contact-sheet image here")
    g.set_defaults(func=cmd_generate)

    d = sub.add_parser("data", help="prepare training data")
    dsub = d.add_subparsers(dest="data_command", metavar="SOURCE", required=True)
    de = dsub.add_parser("emoji", help="a folder of Noto Color Emoji images")
    de.add_argument("--out", required=True)
    de.add_argument("--size", type=int, default=64)
    de.add_argument("--font", help="path to NotoColorEmoji.ttf")
    de.set_defaults(func=cmd_data_emoji)

    t = sub.add_parser("train", help="train a GAN or VAE on a folder of images")
    t.add_argument("kind", choices=["gan", "vae"])
    t.add_argument("--data", help="folder of training images")
    t.add_argument("--run", required=True, help="run folder (checkpoints, previews, log)")
    t.add_argument("--steps", type=int, default=0, help="total steps (default 20000)")
    t.add_argument("--resume", action="store_true", help="continue the run in --run")
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--lr", type=float, default=0.0)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--resolution", type=int, default=64)
    t.add_argument("--beta", type=float, default=1.0, help="VAE KL weight")
    t.add_argument("--r1-gamma", type=float, default=1.0, help="GAN R1 weight")
    t.add_argument("--checkpoint-every", type=int, default=500)
    t.add_argument("--preview-every", type=int, default=500)
    t.add_argument("--device", default="auto")
    t.add_argument(
        "--model-option", action="append", metavar="KEY=VALUE",
        help="a model config field, e.g. channel_base=1024 (repeatable)",
    )
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("export", help="export a training run as a model file")
    e.add_argument("run", help="run folder")
    e.add_argument("--name", required=True)
    e.add_argument("--out", help="folder (default: your user model folder)")
    e.add_argument("--fp32", action="store_true", help="keep 32-bit weights")
    e.set_defaults(func=cmd_export)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one CLI command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"latent-studio: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
