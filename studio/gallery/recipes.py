"""Where the gallery lives, and remaking images from kept recipes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from studio.gallery.store import Item
from studio.imaging.export import ExportJob
from studio.models.catalog import list_models, user_data_root


def gallery_dir() -> Path:
    """The user's gallery folder (inside the user data folder)."""
    return user_data_root() / "gallery"


def installed_models() -> set[str]:
    """Names of the usable models installed now (one pass over the model folders)."""
    return {e.name for e in list_models() if not e.error}


def missing_model_note(recipe: dict[str, Any] | None, installed: set[str] | None = None) -> str:
    """Empty if the recipe's model is available, else a sentence naming what is needed.

    Pass ``installed`` (from :func:`installed_models`) when checking many items.
    """
    if not recipe or not recipe.get("model"):
        return ""
    name = str(recipe["model"])
    if name in (installed if installed is not None else installed_models()):
        return ""
    return f"Needs the model {name!r}, which is not installed."


def export_job(item: Item, image: np.ndarray) -> ExportJob:
    """An export job for a gallery item, with the fields its file name may use
    (those of :data:`studio.imaging.export.PATTERN_FIELDS`)."""
    seed = item.seed if item.seed is not None else ""
    fields = {
        "model": item.model or "image",
        "seed": seed,
        "id": item.id,
        "title": Path(item.title).stem if item.title else "",
    }
    # The metadata follows the recipe (studio.imaging.provenance): a plain import has
    # none, so it is exported with no AI claim.
    return ExportJob(image, item.recipe, fields)


def sheet_caption(item: Item) -> str:
    """A contact-sheet caption: model and seed, or the imported file's name."""
    if item.model and item.seed is not None:
        return f"{item.model} {item.seed}"
    return item.title or item.model or f"#{item.id}"


def morph_recipe_dicts(items: Sequence[Item], note_for: Callable[[str], str]) -> list[dict]:
    """The recipes of a morph's keyframes; ValueError says why these items cannot be one."""
    if len(items) < 2:
        raise ValueError("Choose at least two gallery images to morph between.")
    plain = [i for i in items if not i.recipe or not i.model]
    if plain:
        raise ValueError(
            f"Image #{plain[0].id} has no recipe (a plain imported picture), so it cannot "
            "be part of a morph."
        )
    models = sorted({i.model for i in items})
    if len(models) > 1:
        raise ValueError(
            f"A morph runs between images of one model; these use {', '.join(models)}."
        )
    note = note_for(models[0])
    if note:
        raise ValueError(note)
    return [dict(i.recipe or {}, model=i.model) for i in items]
