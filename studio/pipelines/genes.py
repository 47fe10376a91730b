"""Genes: named latent directions grown from examples (Artbreeder's "genes").

The user marks images that have a quality ("smiling") and images that lack it; the
gene is the difference of the two groups' mean latents (w for a GAN, z for a VAE),
normalised, optionally made orthogonal to other genes or the PCA directions, and scaled
like a PCA direction so one slider unit moves about as far as one PCA slider unit.

A gene travels as a small JSON file (:func:`gene_to_json`, :func:`read_gene`), read as
hostile input: bounded in size and depth before parsing, every field checked.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from studio.imaging.recipe_read import RecipeError, parse_recipe_json
from studio.pipelines.render import MAX_LATENT, MAX_LATENT_VALUE, GeneEdit, gene_name

GENE_FORMAT = "latent-studio-gene"
GENE_VERSION = 1
GENE_SPACES = ("w", "z")
# A gene of 4096 floats written by json is under 100 KB; anything far larger is not one.
MAX_GENE_BYTES = 256 * 1024
MAX_GENE_DEPTH = 4  # the object and its vector
MAX_EXAMPLES = 4096
_TINY = 1e-6  # a direction shorter than this (relative to the latents) is no direction


class GeneError(RecipeError):
    """A gene could not be made or read; the message is for people."""


@dataclass(frozen=True, eq=False)
class Gene:
    """A named direction in one model's latent space (already scaled, see the module)."""

    name: str
    model: str
    model_sha256: str
    space: str  # "w" for a GAN, "z" for a VAE
    vector: np.ndarray  # (D,) float32

    def edit(self, amount: float) -> GeneEdit:
        """This gene as a recipe's gene edit of ``amount`` slider units."""
        return GeneEdit(self.name, tuple(float(v) for v in self.vector), float(amount))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": GENE_FORMAT,
            "version": GENE_VERSION,
            "name": self.name,
            "model": self.model,
            "model_sha256": self.model_sha256,
            "space": self.space,
            "vector": [float(v) for v in self.vector],
        }


def _stack(latents: Sequence[Any], what: str) -> np.ndarray:
    rows = []
    for latent in latents:
        row = np.asarray(latent, dtype=np.float64)
        rows.append(row.reshape(-1) if row.ndim > 1 and row.shape[0] == 1 else row)
    sizes = {r.shape for r in rows}
    if len(sizes) > 1 or any(len(s) != 1 for s in sizes):
        raise GeneError(f"The {what} latents are of different sizes; a gene needs one model's.")
    out = np.stack(rows)
    if not np.isfinite(out).all():
        raise GeneError(f"A {what} latent holds a number that is not finite.")
    return out


def make_gene(
    positives: Sequence[Any],
    negatives: Sequence[Any],
    name: str,
    orthogonal_to: Sequence[Any] = (),
    scale: float = 1.0,
    model: str = "",
    model_sha256: str = "",
    space: str = "w",
) -> Gene:
    """The gene from latents that have the quality (``positives``) and latents that lack
    it (``negatives``): the unit difference of their means, Gram-Schmidt-orthogonalised
    against each of ``orthogonal_to`` (other genes' or PCA directions, any length), then
    times ``scale`` (see :func:`pca_scale`). Each input is one latent, (D,) or (1, D).

    Raises :class:`GeneError` for fewer than one positive and one negative, latents of
    different sizes, equal means, or a direction that orthogonalisation leaves empty.
    """
    try:
        name = gene_name(name)
    except ValueError as exc:
        raise GeneError(f"The gene cannot be made: {exc}.") from None
    if len(positives) < 1 or len(negatives) < 1:
        raise GeneError(
            "A gene needs at least one image that has the quality and one that lacks it."
        )
    if len(positives) + len(negatives) > MAX_EXAMPLES:
        raise GeneError(f"A gene is made from at most {MAX_EXAMPLES} images.")
    if space not in GENE_SPACES:
        raise GeneError(f"A gene's space is w or z, not {space!r}.")
    if not (math.isfinite(scale) and scale > 0):
        raise GeneError("A gene's scale must be a positive number.")
    pos, neg = _stack(positives, "positive"), _stack(negatives, "negative")
    if pos.shape[1] != neg.shape[1]:
        raise GeneError(
            f"The positive latents have {pos.shape[1]} numbers and the negative ones "
            f"{neg.shape[1]}; a gene needs latents of one model."
        )
    diff = pos.mean(0) - neg.mean(0)
    size = max(float(np.abs(np.concatenate([pos, neg])).max()), 1.0)
    if float(np.linalg.norm(diff)) <= _TINY * size:
        raise GeneError(
            "The images with and without the quality have the same mean latent; "
            "mark different images."
        )
    direction = diff / np.linalg.norm(diff)
    basis: list[np.ndarray] = []
    for other in orthogonal_to:
        v = np.asarray(other, dtype=np.float64).reshape(-1)
        if v.shape != direction.shape:
            raise GeneError(
                f"A direction to be orthogonal to has {v.size} numbers; the gene has "
                f"{direction.size}."
            )
        # Gram-Schmidt over the others first, so a set of non-orthogonal ones works too.
        for b in basis:
            v = v - (v @ b) * b
        n = float(np.linalg.norm(v))
        if n > _TINY:
            basis.append(v / n)
    for b in basis:
        direction = direction - (direction @ b) * b
    n = float(np.linalg.norm(direction))
    if n <= _TINY:
        raise GeneError(
            "Nothing of the gene is left once it is made orthogonal to the others: "
            "it is one of them."
        )
    vector = (direction / n * scale).astype(np.float32)
    return Gene(name, model, model_sha256, space, vector)


def pca_scale(stds: Any) -> float:
    """How long a gene is, so one slider unit moves about as far as one PCA slider unit:
    the root mean square of the PCA directions' spreads (a PCA slider moves ``std``)."""
    s = np.asarray(stds, dtype=np.float64).reshape(-1)
    s = s[np.isfinite(s) & (s > 0)]
    return float(np.sqrt(np.mean(s**2))) if s.size else 1.0


def gene_to_json(gene: Gene) -> str:
    """The gene file's text (floats written in full, so a gene reads back exactly)."""
    import json

    return json.dumps(gene.to_dict())


def write_gene(gene: Gene, path: Path) -> None:
    """Write the gene file atomically: a failed write leaves no partial file and keeps
    an older file of that name as it was. ``OSError`` is left to the caller."""
    data = gene_to_json(gene).encode("utf-8")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=".gene-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a gene is a plain file
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_gene(data: bytes | str, size: int | None = None) -> Gene:
    """A gene from its file's bytes, refusing anything but a well-formed gene; ``size``
    (the model's w or z size), when given, must be the vector's. Every problem is a
    :class:`GeneError` with a message for people."""
    if len(data) > MAX_GENE_BYTES:
        raise GeneError(f"The gene file is too large (at most {MAX_GENE_BYTES // 1024} KB).")
    try:
        d = parse_recipe_json(data)
    except RecipeError as exc:
        raise GeneError(str(exc).replace("The recipe", "The gene file", 1)) from None
    from studio.imaging.recipe_read import json_depth  # the same scan as recipes

    text = data.decode("utf-8") if isinstance(data, bytes) else data
    if json_depth(text) > MAX_GENE_DEPTH:
        raise GeneError("The gene file is not valid: it nests too deeply.")
    if d.get("format") != GENE_FORMAT:
        raise GeneError("This is not a Latent Studio gene file.")
    version = d.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise GeneError("The gene file is not valid: its version is not a whole number.")
    if version != GENE_VERSION:
        raise GeneError(
            f"The gene file is of version {version}; this studio reads version {GENE_VERSION}."
        )
    try:
        name = gene_name(d.get("name"))
    except ValueError as exc:
        raise GeneError(f"The gene file is not valid: {exc}.") from None
    model, sha, space = d.get("model"), d.get("model_sha256", ""), d.get("space")
    if not isinstance(model, str) or not 1 <= len(model) <= 256:
        raise GeneError("The gene file is not valid: its model is not a name.")
    if not isinstance(sha, str) or len(sha) > 128:
        raise GeneError("The gene file is not valid: its model_sha256 is not a hash.")
    if space not in GENE_SPACES:
        raise GeneError("The gene file is not valid: its space is neither w nor z.")
    vector = d.get("vector")
    if not isinstance(vector, list) or not 1 <= len(vector) <= MAX_LATENT:
        raise GeneError(f"The gene file is not valid: its vector is not 1 to {MAX_LATENT} numbers.")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in vector):
        raise GeneError("The gene file is not valid: its vector holds something not a number.")
    values = np.asarray(vector, dtype=np.float64)
    if not np.isfinite(values).all() or np.abs(values).max() > MAX_LATENT_VALUE:
        raise GeneError("The gene file is not valid: its vector holds numbers far too large.")
    vector32 = values.astype(np.float32)
    if not vector32.any():  # after the cast: 1e-50 is 0 in float32
        raise GeneError("The gene file is not valid: its vector is all zeros.")
    if size is not None and len(vector) != size:
        raise GeneError(
            f"The gene {name!r} has {len(vector)} numbers; the model's {space} has {size}."
        )
    return Gene(name, model, sha, space, vector32)
