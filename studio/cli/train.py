"""Commands that prepare data, train, and export runs as models."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import Any

from studio.cli.common import (
    EXIT_STOPPED,
    CliError,
    output_folder,
    progress_bar,
)


def cmd_data_emoji(args: argparse.Namespace) -> int:
    from studio.training.emoji import FontError, build_emoji_folder
    from studio.training.emoji_groups import EmojiTestError

    if not 16 <= args.size <= 512:
        raise CliError("--size must be between 16 and 512.")
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = progress_bar("emoji", total)
        bar.update(done - bar.n)

    try:
        with output_folder(Path(args.out)):
            count, problems = build_emoji_folder(
                args.out,
                args.size,
                args.font,
                progress,
                singles=args.singles,
                classes=args.classes,
                emoji_test=args.emoji_test,
                groups=args.only,
            )
    except (FontError, EmojiTestError) as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:  # a full disk, a folder taken away: what was written is gone
        reason = exc.strerror or exc
        raise CliError(f"Could not write the images to {args.out}: {reason}.") from None
    finally:
        if bar is not None:
            bar.close()
    for p in problems[:10]:
        print(f"skipped {p}", file=sys.stderr)
    from studio.imaging.export import counted

    print(f"Wrote {counted(count, 'emoji image')} ({args.size}×{args.size}) to {args.out}")
    return 0


def _train_config(args: argparse.Namespace) -> Any:
    from studio.training.run import TrainConfig

    model_fields: dict[str, Any] = {"resolution": args.resolution}
    for item in args.model_option or []:
        key, _, value = item.partition("=")
        if not key or not value:
            raise CliError(f"--model-option takes KEY=VALUE, not {item!r}.")
        try:
            model_fields[key] = json.loads(value)
        except json.JSONDecodeError:
            model_fields[key] = value
    return TrainConfig(
        kind=args.kind,
        data=str(Path(args.data).resolve()),
        steps=args.steps or 20000,
        epochs=args.epochs,
        batch=args.batch,
        lr=args.lr,
        optimizer=args.optimizer,
        seed=args.seed,
        checkpoint_every=args.checkpoint_every,
        checkpoint_minutes=args.checkpoint_minutes,
        preview_every=args.preview_every,
        holdout=args.holdout,
        policy=args.policy,
        augment=args.augment,
        augment_strength=args.augment_strength,
        ada=args.ada,
        loss=args.loss,
        arch=args.arch,
        beta=args.beta,
        kl_warmup=args.kl_warmup,
        r1_gamma=args.r1_gamma,
        coverage=args.coverage,
        coverage_every=args.coverage_every,
        feature_d=args.feature_d,
        feature_net=args.feature_net,
        init_from=args.from_model or "",
        freeze_d=args.freeze_d,
        conditional=args.conditional,
        device=args.device,
        cpu_bf16=bool(args.cpu_bf16),
        model=model_fields,
        command="latent-studio " + shlex.join(sys.argv[1:]),
    )


class _StopOnCtrlC:
    """The first Ctrl+C asks the training loop to stop after the step it is in, so the
    step is saved; a second one interrupts at once (the last checkpoint is kept)."""

    def __init__(self) -> None:
        self.stopped = False
        self._before: Any = None

    def requested(self) -> bool:
        return self.stopped

    def _handle(self, _signum: int, _frame: Any) -> None:
        if self.stopped:
            raise KeyboardInterrupt
        self.stopped = True
        print("\nStopping after this step (Ctrl+C again to stop at once)…", file=sys.stderr)

    def __enter__(self) -> _StopOnCtrlC:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._before = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *_exc: object) -> None:
        import signal

        if self._before is not None:
            signal.signal(signal.SIGINT, self._before)


def cmd_train(args: argparse.Namespace) -> int:
    from studio.training.dataset import DatasetError
    from studio.training.run import Run, RunError
    from studio.training.session import open_run, run_training

    bar = None
    try:
        cfg = None
        if not args.resume:
            if not args.data:
                raise CliError("A new run needs --data DIR.")
            cfg = _train_config(args)
        else:
            cfg = Run(args.run).read_config()
            cfg.steps = args.steps or cfg.steps
            cfg.lr = args.lr or cfg.lr
            cfg.command = "latent-studio " + shlex.join(sys.argv[1:])
        run = open_run(args.run, cfg, resume=args.resume)
        if args.resume and args.cpu_bf16 is not None:
            # A speed setting, so a resume may change it (the window's resume keeps it).
            saved = run.read_config()
            saved.cpu_bf16 = args.cpu_bf16
            run.write_config(saved)
        if args.nproc > 1:
            return _train_processes(args)
        stop, step = _StopOnCtrlC(), 0
        with stop:
            for report in run_training(run, resume=args.resume, cancel=stop.requested):
                step = report.step
                if report.notice:
                    print(report.notice, file=sys.stderr)
                if bar is None:
                    bar = progress_bar(f"train {run.read_config().kind}", report.total)
                    bar.update(report.step - 1)
                bar.update(1)
                shown = {k: f"{v:.3g}" for k, v in report.losses.items() if k != "d_real_sign"}
                shown["img/s"] = f"{report.images_per_s:.1f}"
                bar.set_postfix(shown, refresh=False)
                if report.warning:
                    bar.write(f"warning: {report.warning}")
                if report.metrics:
                    bar.write(
                        f"step {report.step}: "
                        + ", ".join(f"{k}={v}" for k, v in report.metrics.items())
                    )
        if stop.stopped:
            if bar is not None:
                bar.close()
            print(
                f"\nStopped at step {step:,} and saved it there. Continue with --resume.",
                file=sys.stderr,
            )
            return EXIT_STOPPED
    except (RunError, DatasetError, ValueError) as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:  # a log line or preview on a full disk; checkpoints say more
        raise CliError(
            f"Could not write to the run folder {args.run}: {exc.strerror or exc}; "
            "the last checkpoint is kept."
        ) from None
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        print("\nStopped. Continue with --resume; the last checkpoint is kept.", file=sys.stderr)
        return EXIT_STOPPED
    finally:
        if bar is not None:
            bar.close()  # before any message, so the message is a line of its own
    print(f"Training state saved in {args.run}")
    return 0


def _train_processes(args: argparse.Namespace) -> int:
    """Hand the run to torchrun with ``--nproc`` processes (GPUs, or gloo on CPUs)."""
    import subprocess

    from studio.training.ddp import torchrun_command

    cmd = torchrun_command(args.run, args.nproc, resume=args.resume)
    print("Running: " + shlex.join(cmd), file=sys.stderr)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        print("\nStopped. Continue with --resume; the last checkpoint is kept.", file=sys.stderr)
        return EXIT_STOPPED


def cmd_data_scan(args: argparse.Namespace) -> int:
    from studio.training.scan import scan_folder

    try:
        report = scan_folder(args.folder, min_side=args.min_size)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    print(report.summary())
    if args.verbose:
        for e in report.skipped:
            print(f"  {e.path}: {e.reason}")
    if not report.usable:
        raise CliError(f"{args.folder} has no usable images.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from studio.training.export import ExportError, export_run

    try:
        out = getattr(args, "out", None)
        path, meta = export_run(
            args.run, args.name, out=out, half=not args.fp32, overwrite=args.overwrite
        )
    except ExportError as exc:
        raise CliError(str(exc)) from None
    print(f"Exported {args.name} to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    figures = meta.get("figures", {})
    if figures:
        print("Measured: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    return 0
