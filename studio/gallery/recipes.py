"""Where the gallery lives, and remaking images from kept recipes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.models.catalog import list_models, user_data_root


def gallery_dir() -> Path:
    """The user's gallery folder (inside the user data folder)."""
    return user_data_root() / "gallery"


def missing_model_note(recipe: dict[str, Any] | None) -> str:
    """Empty if the recipe's model is available, else a sentence naming what is needed."""
    if not recipe or not recipe.get("model"):
        return ""
    name = str(recipe["model"])
    if any(e.name == name and not e.error for e in list_models()):
        return ""
    return f"Needs the model {name!r}, which is not installed."
