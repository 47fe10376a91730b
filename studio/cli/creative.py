"""Creative commands: ``mix`` (crossbreed parents) and ``variations`` (children around
one image), and rendering their recipes again."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from studio.cli.common import CliError, ensure_writable, load_model


def parent_recipe(text: str) -> tuple[Any, dict[str, Any]]:
    """A parent from the command line: a Latent Studio image (its recipe) or
    ``MODEL:SEED``. Returns the recipe and its raw JSON form (for ``model_sha256``)."""
    from studio.imaging.decode import ImageError, looks_like_image, read_user_file
    from studio.imaging.metadata import read_recipe
    from studio.pipelines.mix import recipe_from_dict
    from studio.pipelines.render import SEED_RANGE, Recipe

    path = Path(text)
    if not path.exists():
        model, colon, seed = text.rpartition(":")
        if colon and model and seed.lstrip("-").isdigit():
            if not SEED_RANGE[0] <= int(seed) < SEED_RANGE[1]:
                raise CliError(f"The seed of {text} is out of range.")
            return Recipe(model, int(seed)), {}
        raise CliError(f"{text} is neither an image file nor MODEL:SEED.")
    try:
        data = read_user_file(path)
        if not looks_like_image(data):
            raise CliError(f"{text} is not an image.")
        raw = read_recipe(data)
        if raw is None:
            raise CliError(f"{text} carries no Latent Studio recipe.")
        return recipe_from_dict(raw), raw
    except (ImageError, ValueError) as exc:  # RecipeError is both
        raise CliError(f"{text}: {exc}") from None


def _one_model(recipes: list[Any]) -> str:
    """The one model file every recipe names (by resolving each name), else one line."""
    from studio.models.catalog import ModelNotFound, resolve_model

    paths: dict[str, Path] = {}
    for r in recipes:
        try:
            paths[r.model] = resolve_model(r.model).resolve()
        except ModelNotFound as exc:
            raise CliError(str(exc)) from None
    if len(set(paths.values())) > 1:
        raise CliError(
            f"The parents come from different models ({', '.join(sorted(paths))}); "
            "a mix needs parents of one model."
        )
    return recipes[0].model


def _directions(model: Any, recipe: Any) -> Any:
    from studio.engine.handlers import DirectionStore
    from studio.pipelines.mix import edits_needed

    need = edits_needed(recipe)
    return DirectionStore().get(model, max(12, need)) if need else None


def _save(image: Any, path: Path, recipe: dict[str, Any], sha: str) -> None:
    from studio.imaging.metadata import save_image

    try:
        # The same writer as generate: the recipe and the AI disclosure, atomically.
        save_image(image, path, recipe={**recipe, "model_sha256": sha})
    except OSError as exc:
        raise CliError(f"Could not write {path}: {exc.strerror or exc}.") from None


def _short(recipe: dict[str, Any]) -> str:
    text = json.dumps(recipe, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def cmd_mix(args: argparse.Namespace) -> int:
    from studio.imaging.recipe_read import RecipeError
    from studio.models.identity import model_sha256
    from studio.pipelines.mix import MixRecipe, layer_weights, parse_weights, render_mix, with_model

    if len(args.parents) < 2:
        raise CliError("A mix needs two parents or more.")
    try:
        spec = parse_weights(args.weights) if args.weights else {}
    except ValueError as exc:
        raise CliError(str(exc)) from None
    parents = [parent_recipe(p)[0] for p in args.parents]
    name = _one_model(parents)
    model = load_model(name, args.device)
    parents = [with_model(p, model.name) for p in parents]
    try:
        if model.kind == "gan":
            num_ws = int(model.module.num_ws)
            weights = layer_weights(len(parents), num_ws, spec)
        else:
            if set(spec) - {"all"}:
                raise CliError(
                    f"{model.name} is a VAE: it mixes whole codes, so give one weight per "
                    "parent, e.g. --weights 0.3:0.7."
                )
            weights = layer_weights(len(parents), 1, spec)
        recipe = MixRecipe(model.name, tuple(parents), weights)
        image = render_mix(model, recipe, _directions(model, recipe))
    except (RecipeError, ValueError) as exc:
        raise CliError(str(exc)) from None
    out = Path(args.out)
    ensure_writable(out)
    made = recipe.to_dict()
    target = out / f"{model.name}-mix-{_short(made)}.png"
    _save(image, target, made, model_sha256(model.path))
    print(f"Wrote {target}")
    return 0


def parse_layers(text: str | None) -> tuple[int, int] | None:
    """``A-B`` (layers A to B, both included, counted from 0) → ``(A, B + 1)``."""
    if text is None:
        return None
    lo, dash, hi = text.partition("-")
    if not dash or not lo.strip().isdigit() or not hi.strip().isdigit():
        raise CliError(f"--layers is written A-B (e.g. 0-3), not {text!r}.")
    a, b = int(lo), int(hi)
    if a > b:
        raise CliError(f"--layers {text}: the first layer comes after the last.")
    return a, b + 1


def cmd_variations(args: argparse.Namespace) -> int:
    from studio.imaging.recipe_read import RecipeError
    from studio.models.identity import model_sha256
    from studio.pipelines.mix import with_model
    from studio.pipelines.variations import VariationRecipe, check_settings, render_variations

    try:
        check_settings(args.count, args.spread)
    except RecipeError as exc:
        raise CliError(str(exc)) from None
    layers = parse_layers(args.layers)
    parent = parent_recipe(args.image)[0]
    model = load_model(_one_model([parent]), args.device)
    if layers is not None and model.kind != "gan":
        raise CliError(f"{model.name} is a VAE: it has no synthesis layers; leave out --layers.")
    parent = with_model(parent, model.name)
    batch = VariationRecipe(model.name, parent, args.spread, args.seed, args.count, 0, layers)
    try:
        images = render_variations(model, batch, _directions(model, batch))
    except (RecipeError, ValueError) as exc:
        raise CliError(str(exc)) from None
    out = Path(args.out)
    ensure_writable(out)
    sha = model_sha256(model.path)
    stem = f"{model.name}-variation-{_short(batch.to_dict())}"  # one name for the batch
    for i, image in enumerate(images):
        child = VariationRecipe(model.name, parent, args.spread, args.seed, args.count, i, layers)
        made = child.to_dict()
        _save(image, out / f"{stem}-{i:02d}.png", made, sha)
    print(f"Wrote {len(images)} variation{'s' if len(images) != 1 else ''} to {out}")
    return 0


def render_kind(args: argparse.Namespace, raw: dict[str, Any]) -> int:
    """``latent-studio render`` for a mix or a variation: remade bit for bit with the
    recipe's model (or ``--model``), written beside the others as NAME-render.png."""
    from studio.cli.gallery import render_model
    from studio.imaging.recipe_read import RecipeError
    from studio.pipelines.mix import recipe_from_dict, render_any, with_model

    try:
        recipe = recipe_from_dict(raw)
    except (RecipeError, ValueError) as exc:
        raise CliError(f"{args.recipe}: {exc}") from None
    path, name, sha = render_model(recipe.model, getattr(args, "model", None), raw)
    model = load_model(str(path), args.device)
    recipe = with_model(recipe, name)
    try:
        image = render_any(model, recipe, _directions(model, recipe))
    except (RecipeError, ValueError) as exc:
        raise CliError(f"{args.recipe}: {exc}") from None
    out = Path(args.out)
    ensure_writable(out)
    target = out / (Path(args.recipe).stem + "-render.png")
    _save(image, target, {**raw, **recipe.to_dict()}, sha)
    print(f"Wrote {target}")
    return 0


def add_creative_parsers(sub: Any) -> None:
    """Register ``mix`` and ``variations``."""
    m = sub.add_parser("mix", help="crossbreed two or more images of one model (style mixing)")
    m.add_argument(
        "parents", nargs="+", metavar="PARENT", help="a Latent Studio image, or MODEL:SEED"
    )
    m.add_argument(
        "--weights",
        help="weights per parent for each band of a GAN's layers, e.g. "
        "coarse=0:1,middle=1:0,fine=0.5:0.5 (a layer by its number: 3=1:0); "
        "for a VAE one weight per parent, e.g. 0.3:0.7 (default: equal)",
    )
    m.add_argument("--out", required=True)
    m.add_argument("--device", default="auto")
    m.set_defaults(func=cmd_mix)

    v = sub.add_parser("variations", help="children around one image, in one batch")
    v.add_argument("image", metavar="IMAGE", help="a Latent Studio image, or MODEL:SEED")
    v.add_argument("--count", type=int, default=8, help="how many, 1 to 64 (default 8)")
    v.add_argument(
        "--spread", type=float, default=0.5, help="how far from the image, 0 to 4 (default 0.5)"
    )
    v.add_argument(
        "--layers",
        metavar="A-B",
        help="a GAN's synthesis layers that vary, both included, from 0 (default: all)",
    )
    v.add_argument("--seed", type=int, default=0, help="the draw the children come from")
    v.add_argument("--out", required=True)
    v.add_argument("--device", default="auto")
    v.set_defaults(func=cmd_variations)
