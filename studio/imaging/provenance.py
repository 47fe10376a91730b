"""What a picture's metadata may honestly claim about how it was made.

One rule, used wherever the studio writes metadata (the gallery's own files, generate,
render, every export, morphs and contact sheets), so that the IPTC DigitalSourceType
follows what happened to the picture:

- made by a model (a latent, a mix, a morph…) → ``trainedAlgorithmicMedia``;
- a user's own image changed by a model (projected, colorized, restyled, upscaled)
  → ``compositeWithTrainedAlgorithmicMedia``;
- an untouched import (no recipe, or a recipe of kind ``"import"``) → no AI claim.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

IPTC_TERMS = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED = IPTC_TERMS + "trainedAlgorithmicMedia"
COMPOSITE = IPTC_TERMS + "compositeWithTrainedAlgorithmicMedia"

IMPORT_KIND = "import"
# Recipe kinds whose input is a picture the user brought, changed by a model.
COMPOSITE_KINDS = frozenset(
    {"project", "invert", "colorize", "stylize", "restyle", "style", "upscale"}
)

DISCLOSURES = {
    TRAINED: "AI-generated image, made with a trained generative model in Latent Studio.",
    COMPOSITE: "AI-edited image: a picture changed by a trained generative model in Latent Studio.",
}


def digital_source_type(recipe: Mapping[str, Any] | None) -> str | None:
    """The IPTC DigitalSourceType for a picture with this recipe, or None (no AI claim).

    No recipe means the studio did not make the picture (a plain import). A recipe of
    kind ``"import"`` is the same. A kind in :data:`COMPOSITE_KINDS` is a user's picture
    changed by a model. Any other recipe, including one of a kind not known here, was
    made by a model: when unsure, the disclosure errs towards saying AI.
    """
    if not isinstance(recipe, Mapping):
        return None
    kind = recipe.get("kind")
    if kind == IMPORT_KIND:
        return None
    if kind in COMPOSITE_KINDS:
        return COMPOSITE
    parts = recipe.get("morph")
    if isinstance(parts, list) and parts:
        # A morph of model images is model-made; one built on a user's picture is not.
        return combined_source_type(p if isinstance(p, Mapping) else {} for p in parts)
    return TRAINED


def combined_source_type(recipes: Iterable[Mapping[str, Any] | None]) -> str | None:
    """The DigitalSourceType of one picture made of several (a contact sheet, a morph):
    all model-made → trained; none → no claim; a mix → composite."""
    kinds = {digital_source_type(r) for r in recipes}
    if not kinds or kinds == {None}:
        return None
    if kinds == {TRAINED}:
        return TRAINED
    return COMPOSITE


def disclosure(source_type: str | None) -> str:
    """The sentence for people that goes with ``source_type`` ("" for no claim)."""
    return DISCLOSURES.get(source_type or "", "")
