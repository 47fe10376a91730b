"""Where models live: shipped ``checkpoints/`` and the user's model folder.

Listing reads only each file's header, so it is quick even with many models, and a
broken file is listed with its problem instead of hiding the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from studio.models.checkpoint import PICKLE_SUFFIXES, CheckpointError, read_header

APP_NAME = "LatentStudio"
MODEL_SUFFIXES = {".safetensors"} | PICKLE_SUFFIXES


class ModelNotFound(LookupError):
    """No model by that name or path; the message lists what exists."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "Model not found."


def user_data_root() -> Path:
    """The per-user data folder (``LATENT_STUDIO_HOME`` overrides it, e.g. in tests)."""
    override = os.environ.get("LATENT_STUDIO_HOME")
    return Path(override) if override else Path(user_data_dir(APP_NAME, appauthor=False))


def user_model_dir() -> Path:
    return user_data_root() / "models"


def shipped_model_dir() -> Path:
    """``checkpoints/`` of the source tree (``LATENT_STUDIO_CHECKPOINTS`` overrides it)."""
    override = os.environ.get("LATENT_STUDIO_CHECKPOINTS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "checkpoints"


def model_dirs() -> list[Path]:
    return [shipped_model_dir(), user_model_dir()]


@dataclass
class ModelEntry:
    """One model file as the picker and ``latent-studio models`` show it."""

    name: str
    path: Path
    meta: dict[str, Any]
    size_bytes: int
    source: str  # "shipped" or "user"
    error: str = ""

    @property
    def arch(self) -> str:
        return str(self.meta.get("arch", "?"))

    @property
    def kind(self) -> str:
        return str(self.meta.get("kind", "?"))

    @property
    def resolution(self) -> int:
        return int(self.meta.get("resolution", 0))

    @property
    def data_name(self) -> str:
        return str(self.meta.get("data", {}).get("name", "?"))

    @property
    def licence(self) -> str:
        return str(self.meta.get("data", {}).get("licence", "?"))

    @property
    def steps(self) -> int:
        """Training steps the file reports (0 when it does not say)."""
        steps = self.meta.get("training", {}).get("steps")
        return steps if isinstance(steps, int) else 0

    @property
    def parent(self) -> str:
        """The model this one was fine-tuned from, with its steps ('' if from scratch)."""
        origin = self.meta.get("training", {}).get("fine_tuned_from")
        if not isinstance(origin, dict):
            return ""
        name = str(origin.get("name") or origin.get("model") or "?")
        steps = origin.get("steps")
        return f"{name} ({steps:,} steps)" if isinstance(steps, int) else name

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1e6

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "arch": self.arch,
            "kind": self.kind,
            "resolution": self.resolution,
            "data": self.data_name,
            "licence": self.licence,
            "steps": self.steps,
            "fine_tuned_from": self.parent,
            "size_bytes": self.size_bytes,
            "source": self.source,
            "error": self.error,
        }


def _entry(path: Path, source: str) -> ModelEntry:
    """One file's entry; whatever is wrong with the file becomes its ``error``."""
    try:
        size = path.stat().st_size
    except OSError as exc:  # gone or unreadable since the folder was listed
        return ModelEntry(
            path.stem, path, {}, 0, source, f"Cannot read {path.name}: {exc.strerror}."
        )
    if path.suffix.lower() != ".safetensors":
        return ModelEntry(path.stem, path, {}, size, source, "not a safetensors file")
    try:
        meta = read_header(path)
    except CheckpointError as exc:
        return ModelEntry(path.stem, path, {}, size, source, str(exc))
    return ModelEntry(str(meta.get("name") or path.stem), path, meta, size, source)


def list_models(dirs: list[Path] | None = None) -> list[ModelEntry]:
    """Every model file in the model folders, shipped first, then by name."""
    entries: list[ModelEntry] = []
    for i, folder in enumerate(dirs if dirs is not None else model_dirs()):
        if not folder.is_dir():
            continue
        source = "shipped" if i == 0 and dirs is None else "user"
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower() in MODEL_SUFFIXES:
                entries.append(_entry(path, source))
    return entries


def resolve_model(name_or_path: str, dirs: list[Path] | None = None) -> Path:
    """A model file from a registry name (e.g. ``emoji-gan``) or a path to a file."""
    p = Path(name_or_path).expanduser()
    if p.suffix.lower() in MODEL_SUFFIXES or os.sep in name_or_path:
        if p.is_file():
            return p
        raise ModelNotFound(f"No model file at {p}.")
    entries = list_models(dirs)
    for e in entries:
        if e.name == name_or_path or e.path.stem == name_or_path:
            if e.error:
                raise ModelNotFound(f"{e.path.name} cannot be used: {e.error}")
            return e.path
    usable = [e for e in entries if not e.error]
    known = ", ".join(sorted({e.name for e in usable})) or "none"
    raise ModelNotFound(f"Unknown model {name_or_path!r}. Known models: {known}.")
