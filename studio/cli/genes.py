"""``latent-studio gene make``: a named direction from example images, and the
``generate --gene FILE=AMOUNT`` option that applies genes."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from studio.cli.common import CliError, load_model

MAX_GENE_FILE = 256 * 1024


def _example_latent(model: Any, text: str, directions: Any) -> Any:
    """The latent of one example (an image with a recipe, or MODEL:SEED) as the recipe
    renders it: a GAN's w (its per-layer ws averaged: one w where no layer range was
    edited), a VAE's z."""
    from studio.cli.creative import _one_model, parent_recipe
    from studio.imaging.recipe_read import RecipeError
    from studio.models.catalog import ModelNotFound, resolve_model
    from studio.pipelines.mix import edits_needed, latent_of, with_model

    recipe = parent_recipe(text)[0]
    _one_model([recipe])  # one plain line when its model is not installed
    try:
        same = resolve_model(recipe.model).resolve() == model.path.resolve()
    except ModelNotFound as exc:
        raise CliError(str(exc)) from None
    if not same:
        raise CliError(
            f"{text} comes from {recipe.model}, not {model.name}; a gene needs images of one model."
        )
    recipe = with_model(recipe, model.name)
    try:
        dirs = directions(max(12, edits_needed(recipe))) if edits_needed(recipe) else None
        x = latent_of(model, recipe, dirs)
    except (RecipeError, ValueError) as exc:
        raise CliError(f"{text}: {exc}") from None
    x = x.float().cpu()
    return (x.mean(1) if model.kind == "gan" else x).numpy().reshape(-1)


def _read_gene_file(text: str, model: Any) -> Any:
    """A gene file for ``model``: read safely, of its size and space, made for it."""
    from studio.imaging.decode import ImageError, read_user_file
    from studio.models.identity import model_sha256
    from studio.pipelines.genes import GeneError, read_gene
    from studio.pipelines.render import gene_size

    try:
        data = read_user_file(Path(text), max_bytes=MAX_GENE_FILE)
        gene = read_gene(data, gene_size(model))
    except (GeneError, ImageError, OSError, ValueError) as exc:
        raise CliError(f"{text}: {exc}") from None
    space = "w" if model.kind == "gan" else "z"
    if gene.space != space:
        raise CliError(f"{text}: the gene is of a {gene.space} space; {model.name} edits {space}.")
    if gene.model_sha256 and gene.model_sha256 != model_sha256(model.path):
        raise CliError(
            f"{text}: the gene {gene.name!r} was made with {gene.model}, not this {model.name}."
        )
    return gene


def parse_gene_option(text: str) -> tuple[str, float]:
    """``FILE=AMOUNT`` → (FILE, AMOUNT); one plain line for anything else."""
    from studio.pipelines.render import EDIT_LIMIT

    path, eq, amount = text.rpartition("=")
    if not eq or not path:
        raise CliError(f"--gene is written FILE=AMOUNT (e.g. smiling.gene.json=1.5), not {text!r}.")
    try:
        value = float(amount)
    except ValueError:
        raise CliError(f"--gene {text}: the amount {amount!r} is not a number.") from None
    if not (math.isfinite(value) and -EDIT_LIMIT <= value <= EDIT_LIMIT):
        raise CliError(f"--gene {text}: the amount must be within ±{EDIT_LIMIT:g}.")
    return path, value


def gene_edits(options: list[str] | None, model: Any) -> tuple[Any, ...]:
    """The recipe gene edits that ``--gene FILE=AMOUNT`` options ask for (none: ())."""
    from studio.pipelines.render import MAX_GENES

    if not options:
        return ()
    if len(options) > MAX_GENES:
        raise CliError(f"At most {MAX_GENES} genes at once.")
    edits = []
    for option in options:
        path, amount = parse_gene_option(option)
        edits.append(_read_gene_file(path, model).edit(amount))
    return tuple(edits)


def cmd_gene_make(args: argparse.Namespace) -> int:
    from studio.engine.handlers import DirectionStore
    from studio.models.identity import model_sha256
    from studio.pipelines.genes import GeneError, make_gene, pca_scale, write_gene

    if not args.positive or not args.negative:
        raise CliError(
            "A gene needs at least one image that has the quality (--positive) and one "
            "that lacks it (--negative)."
        )
    if args.orthogonal_pca < 0:
        raise CliError("--orthogonal-pca must be 0 or more.")
    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise CliError(f"{out} exists; pass --overwrite to replace it.")
    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        raise CliError(f"The folder {out.parent} does not exist.")
    model = load_model(args.model, args.device)
    store = DirectionStore()

    def directions(k: int) -> Any:
        return store.get(model, k)

    positives = [_example_latent(model, p, directions) for p in args.positive]
    negatives = [_example_latent(model, n, directions) for n in args.negative]
    others = [_read_gene_file(g, model).vector for g in args.orthogonal or []]
    pca = directions(max(12, args.orthogonal_pca))
    others += list(pca.components[: args.orthogonal_pca])
    try:
        gene = make_gene(
            positives,
            negatives,
            args.name,
            orthogonal_to=others,
            scale=pca_scale(pca.stds),
            model=model.name,
            model_sha256=model_sha256(model.path),
            space="w" if model.kind == "gan" else "z",
        )
        write_gene(gene, out)
    except GeneError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"Could not write {out}: {exc.strerror or exc}.") from None
    print(
        f"Wrote the gene {gene.name!r} of {model.name} to {out} "
        f"({len(positives)} with, {len(negatives)} without)"
    )
    return 0


def add_gene_parsers(sub: Any) -> None:
    """Register ``gene make``."""
    g = sub.add_parser("gene", help="named latent directions (genes) made from examples")
    gsub = g.add_subparsers(dest="gene_command", metavar="ACTION", required=True)
    m = gsub.add_parser(
        "make",
        help="a gene from images that have a quality and images that lack it",
        description="The gene is the normalised difference of the mean latents (w for a "
        "GAN, z for a VAE) of the --positive and the --negative examples, scaled like the "
        "PCA sliders. Apply it with `generate --gene FILE=AMOUNT`.",
    )
    m.add_argument("--model", required=True, help="a model name (see `models`) or a file path")
    m.add_argument(
        "--positive",
        nargs="+",
        metavar="EXAMPLE",
        help="images that have the quality: Latent Studio images, or MODEL:SEED",
    )
    m.add_argument(
        "--negative", nargs="+", metavar="EXAMPLE", help="images that lack it (the same kinds)"
    )
    m.add_argument("--name", required=True, help="the gene's name, e.g. smiling")
    m.add_argument("--out", required=True, metavar="FILE", help="e.g. smiling.gene.json")
    m.add_argument(
        "--orthogonal",
        action="append",
        metavar="GENE_FILE",
        help="make the gene orthogonal to this gene of the same model (repeatable)",
    )
    m.add_argument(
        "--orthogonal-pca",
        type=int,
        default=0,
        metavar="N",
        help="and to the first N PCA directions (default 0)",
    )
    m.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    m.add_argument("--device", default="auto")
    m.set_defaults(func=cmd_gene_make)
