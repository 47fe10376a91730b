"""What every command shares: the one-line error, progress bars, loading models."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_STOPPED = 130  # Ctrl+C, as shells report SIGINT


class CliError(Exception):
    """A failure to report as one line."""


def progress_bar(label: str, total: int) -> Any:
    """A tqdm bar on stderr (stdout stays clean for scripts)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="step", dynamic_ncols=True, file=sys.stderr)


def class_index(model: Any, name: str | None) -> int | None:
    """The class index for ``--class NAME``; None for unconditional models, or for any
    class (each image's class drawn from its seed) when no name is given."""
    classes = [str(c) for c in model.meta.get("classes", [])]
    if name is None:
        return None
    if not classes:
        raise CliError(f"{model.name} has no classes; leave out --class.")
    if name not in classes:
        raise CliError(f"{model.name} has no class {name!r}; its classes: {', '.join(classes)}.")
    return classes.index(name)


def load_model(name: str, device: str, drawing: bool = True) -> Any:
    """A model by name or path on ``device``; with ``drawing``, only image models."""
    from studio.models.catalog import ModelNotFound, resolve_model
    from studio.models.checkpoint import CheckpointError, load_checkpoint
    from studio.models.device import pick_device
    from studio.models.registry import GENERATIVE_KINDS

    try:
        dev = pick_device(device)
        path = resolve_model(name)
        model = load_checkpoint(path, dev)
    except (ModelNotFound, CheckpointError, ValueError) as exc:
        raise CliError(str(exc)) from None
    if drawing and model.kind not in GENERATIVE_KINDS:
        raise CliError(f"{model.name} is a {model.kind} network; it does not draw images.")
    return model


def ensure_writable(folder: Path) -> None:
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


@contextmanager
def output_folder(folder: Path) -> Iterator[Path]:
    """:func:`ensure_writable`, and if the work inside fails, the folder is removed again
    when this made it and nothing was written there: a refused input leaves nothing."""
    made = not folder.exists()
    ensure_writable(folder)
    try:
        yield folder
    except BaseException:
        if made:
            with suppress(OSError):  # rmdir only takes an empty folder
                folder.rmdir()
        raise


def make_engine(device: str) -> Any:
    from studio.engine import Engine

    try:
        return Engine(device)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def engine_call(engine: Any, request: Any) -> Any:
    try:
        return engine.call(request)
    except RuntimeError as exc:
        raise CliError(str(exc)) from None
