"""What each request does: glue between the model cache and the pipelines."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.engine.cache import ModelCache
from studio.engine.requests import (
    ComputeDirections,
    GenerateGrid,
    LoadModel,
    PublishRun,
    RenderDirectionStrip,
    RenderLatent,
    RenderMix,
    RenderMorph,
    RenderVariations,
    ScanFolder,
)
from studio.models.catalog import user_data_root
from studio.models.checkpoint import LoadedModel
from studio.models.device import describe_device
from studio.models.identity import model_sha256
from studio.pipelines.cancel import CancelToken
from studio.pipelines.directions import Directions, gan_directions, vae_directions
from studio.pipelines.interpolate import interpolate_latents, render_frames
from studio.pipelines.mix import AnyRecipe, edits_needed, latent_of, render_mix
from studio.pipelines.render import decode_edited, edited_latent, render_recipe
from studio.pipelines.sample import GenerateRequest, generate_images, to_uint8
from studio.pipelines.variations import render_variations


@dataclass(frozen=True)
class ModelInfo:
    """What the window needs to know about a loaded model."""

    name: str
    path: str
    kind: str
    arch: str
    resolution: int
    latent_size: int
    num_layers: int  # synthesis layers a GAN edit can be limited to (0 for VAEs)
    device: str
    data: str
    sha256: str
    classes: tuple[str, ...] = ()  # class names of a class-conditional model


@dataclass(frozen=True, eq=False)
class RenderResult:
    """A rendered frame and how long the model took."""

    image: np.ndarray
    model_ms: float
    request: RenderLatent


@dataclass(frozen=True, eq=False)
class ImagesResult:
    """uint8 (N, H, W, 3) images of a mix (N = 1) or a batch of variations, and how long
    the model took."""

    images: np.ndarray
    model_ms: float
    request: RenderMix | RenderVariations


@dataclass(frozen=True, eq=False)
class StripResult:
    """Frames along one direction: uint8 (N, H, W, 3), one per amount of the request."""

    images: np.ndarray
    request: RenderDirectionStrip


@dataclass(frozen=True, eq=False)
class DirectionsInfo:
    model: str
    k: int
    stds: np.ndarray


class DirectionStore:
    """Principal directions per model file: in memory, and on disk by file hash."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._mem: dict[str, Directions] = {}

    def _disk_folder(self) -> Path:
        return self.folder or user_data_root() / "directions"

    def get(
        self,
        model: LoadedModel,
        k: int = 12,
        progress: Callable[[float], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> Directions:
        key = f"{model.path.resolve()}:{model.path.stat().st_mtime_ns}:{k}"
        if key in self._mem:
            return self._mem[key]
        if model.kind != "gan":
            dirs = vae_directions(model, k)
        else:
            cached = self._disk_folder() / f"{model_sha256(model.path)}-k{k}.npz"
            found: Directions | None = None
            if cached.is_file():
                try:
                    found = Directions.from_file(cached)
                except (OSError, ValueError, KeyError):
                    found = None  # a damaged cache is recomputed, never trusted
            if found is not None:
                dirs = found
            else:
                dirs = gan_directions(model, k, progress=progress, cancel=cancel)
                try:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    tmp = cached.with_suffix(".tmp")
                    tmp.write_bytes(dirs.to_bytes())
                    tmp.replace(cached)
                except OSError:
                    pass  # read-only data folder: recompute next time, work on now
        self._mem[key] = dirs
        return dirs


@dataclass
class JobContext:
    """What a running job may use: never the window's state."""

    cache: ModelCache
    directions: DirectionStore
    device: torch.device
    cancel: CancelToken
    progress: Callable[[float], None]
    notes: list[str] = field(default_factory=list)


def load_model(req: LoadModel, ctx: JobContext) -> ModelInfo:
    model = ctx.cache.get(req.model, ctx.device)
    module: Any = model.module
    num_layers = int(getattr(module, "num_ws", 0)) if model.kind == "gan" else 0
    return ModelInfo(
        name=model.name,
        path=str(model.path),
        kind=model.kind,
        arch=model.arch,
        resolution=int(module.resolution),
        latent_size=int(module.latent_size),
        num_layers=num_layers,
        device=describe_device(ctx.device),
        data=str(model.meta.get("data", {}).get("name", "")),
        sha256=model_sha256(model.path),
        classes=tuple(str(c) for c in model.meta.get("classes", [])),
    )


def render(req: RenderLatent, ctx: JobContext) -> RenderResult:
    model = ctx.cache.get(req.model, ctx.device)
    dirs = None
    if any(req.edits):
        dirs = ctx.directions.get(model, max(12, len(req.edits)), ctx.progress, ctx.cancel)
    ctx.cancel.check()
    t0 = time.perf_counter()
    image = render_recipe(model, req, dirs, ctx.cancel)
    return RenderResult(image, (time.perf_counter() - t0) * 1000, req)


def _directions_for(recipe: AnyRecipe, model: LoadedModel, ctx: JobContext) -> Directions | None:
    need = edits_needed(recipe)
    return ctx.directions.get(model, max(12, need), ctx.progress, ctx.cancel) if need else None


def mix(req: RenderMix, ctx: JobContext) -> ImagesResult:
    model = ctx.cache.get(req.model, ctx.device)
    dirs = _directions_for(req.recipe, model, ctx)
    ctx.cancel.check()
    t0 = time.perf_counter()
    image = render_mix(model, req.recipe, dirs, ctx.cancel)
    return ImagesResult(image[None], (time.perf_counter() - t0) * 1000, req)


def variations(req: RenderVariations, ctx: JobContext) -> ImagesResult:
    model = ctx.cache.get(req.model, ctx.device)
    dirs = _directions_for(req.recipe, model, ctx)
    ctx.cancel.check()
    t0 = time.perf_counter()
    images = render_variations(model, req.recipe, dirs, ctx.cancel)
    return ImagesResult(images, (time.perf_counter() - t0) * 1000, req)


def compute_directions(req: ComputeDirections, ctx: JobContext) -> DirectionsInfo:
    model = ctx.cache.get(req.model, ctx.device)
    dirs = ctx.directions.get(model, req.k, ctx.progress, ctx.cancel)
    return DirectionsInfo(model.name, dirs.k, dirs.stds)


MAX_STRIP_FRAMES = 9


def render_direction_strip(req: RenderDirectionStrip, ctx: JobContext) -> StripResult:
    recipe = req.recipe
    if not 1 <= len(req.amounts) <= MAX_STRIP_FRAMES:
        raise ValueError(f"A direction strip has 1 to {MAX_STRIP_FRAMES} frames.")
    model = ctx.cache.get(recipe.model, ctx.device)
    dirs = ctx.directions.get(model, max(12, len(recipe.edits)), ctx.progress, ctx.cancel)
    if not 0 <= req.index < min(dirs.k, len(recipe.edits)):
        raise ValueError(f"{model.name} has no direction {req.index + 1}.")
    keys = []
    for amount in req.amounts:
        edits = list(recipe.edits)
        edits[req.index] = float(amount)
        keys.append(edited_latent(model, replace(recipe, edits=tuple(edits)), dirs))
    ctx.cancel.check()
    # One batch for all frames: one pass through the network instead of one per frame.
    images = to_uint8(decode_edited(model, torch.cat(keys), ctx.cancel))
    return StripResult(images, req)


def generate_grid(req: GenerateGrid, ctx: JobContext) -> np.ndarray:
    model = ctx.cache.get(req.model, ctx.device)
    request = GenerateRequest(req.count, req.seed, req.truncation, label=req.label)
    return generate_images(model, request, ctx.progress, ctx.cancel)


def render_morph(req: RenderMorph, ctx: JobContext) -> list[np.ndarray]:
    model = ctx.cache.get(req.model, ctx.device)
    if any(r.model != req.model for r in req.recipes):
        raise ValueError("A morph runs between images of one model; these use several.")
    need = max((edits_needed(r) for r in req.recipes), default=0)
    dirs = ctx.directions.get(model, max(12, need), ctx.progress, ctx.cancel) if need else None
    # Any kind of keyframe: a mix's or a variation's latent is a path point like any other.
    keys = [latent_of(model, r, dirs) for r in req.recipes]
    path = interpolate_latents(keys, req.frames, req.mode, req.loop)  # type: ignore[arg-type]
    return render_frames(lambda x: decode_edited(model, x), path, 16, ctx.progress, ctx.cancel)


def scan(req: ScanFolder, ctx: JobContext) -> Any:
    from studio.training.scan import scan_folder

    return scan_folder(
        req.folder, background=req.background, progress=ctx.progress, cancel=ctx.cancel
    )


def publish(req: PublishRun, ctx: JobContext) -> str:
    from studio.training.export import export_run

    path, _ = export_run(req.run_dir, req.name)
    return str(path)


HANDLERS: dict[type, Callable[[Any, JobContext], Any]] = {
    LoadModel: load_model,
    RenderLatent: render,
    ComputeDirections: compute_directions,
    GenerateGrid: generate_grid,
    RenderMorph: render_morph,
    RenderMix: mix,
    RenderVariations: variations,
    RenderDirectionStrip: render_direction_strip,
    ScanFolder: scan,
    PublishRun: publish,
}
