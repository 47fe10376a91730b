"""Commands over the gallery, and remaking images from recipes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from studio.cli.common import (
    EXIT_FAILED,
    CliError,
    engine_call,
    ensure_writable,
    make_engine,
)


def _gallery() -> Any:
    from studio.gallery import Gallery, GalleryError
    from studio.gallery.recipes import gallery_dir

    try:
        return Gallery(gallery_dir())
    except GalleryError as exc:
        raise CliError(str(exc)) from None


def cmd_gallery_list(args: argparse.Namespace) -> int:
    from studio.gallery.recipes import installed_models, missing_model_note

    gallery = _gallery()
    items = gallery.items(
        model=args.model, favourites=args.favourites, tag=args.tag, text=args.text
    )
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": i.id,
                        "model": i.model,
                        "seed": i.seed,
                        "created": i.created,
                        "favourite": i.favourite,
                        "tags": i.tags,
                        "parents": i.parents,
                        "size": [i.width, i.height],
                        "recipe": i.recipe,
                    }
                    for i in items
                ],
                indent=2,
            )
        )
        return 0
    installed = installed_models()
    for i in items:
        star = "*" if i.favourite else " "
        note = missing_model_note(i.recipe, installed)
        tags = f" [{', '.join(i.tags)}]" if i.tags else ""
        print(f"{i.id:>6} {star} {i.model or '(imported)'} seed={i.seed}{tags} {note}".rstrip())
    print(f"{len(items)} items", file=sys.stderr)
    return 0


def _gallery_items(gallery: Any, ids: list[int]) -> list[Any]:
    try:
        return [gallery.get(i) for i in ids]
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from None


def cmd_gallery_export(args: argparse.Namespace) -> int:
    from studio.gallery.recipes import export_job
    from studio.imaging.export import ExportError, export_images

    gallery = _gallery()
    items = _gallery_items(gallery, args.ids) if args.ids else gallery.items()
    if not items:
        raise CliError("Nothing to export: the gallery is empty.")
    from studio.imaging.decode import ImageError

    jobs, failed = [], 0
    for i in items:
        # An item whose file is gone or damaged is reported; the others still export.
        try:
            jobs.append(export_job(i, gallery.image(i.id)))
        except ImageError as exc:
            failed += 1
            print(f"latent-studio: gallery item #{i.id}: {exc}", file=sys.stderr)
    if not jobs:
        raise CliError(f"Nothing exported: none of the {len(items)} items could be read.")
    try:
        paths = export_images(
            jobs,
            args.out,
            fmt=args.format,
            pattern=args.pattern,
            scale=args.scale,
            smooth=args.smooth,
            conflict="overwrite" if args.overwrite else "rename",
        )
    except ExportError as exc:
        raise CliError(str(exc)) from None
    print(f"Exported {len(paths)} images to {args.out}")
    if failed:
        from studio.imaging.export import counted

        print(
            f"latent-studio: {counted(failed, 'item')} could not be exported (see above).",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return 0


def cmd_gallery_import(args: argparse.Namespace) -> int:
    from studio.gallery import GalleryError
    from studio.imaging.decode import ImageError

    gallery = _gallery()
    failed = 0
    for f in args.files:
        try:
            item = gallery.import_file(f)
            kind = "with its recipe" if item.recipe else "as a plain image"
            print(f"Imported {f} {kind} (id {item.id})")
        except (ImageError, GalleryError) as exc:  # RecipeError is an ImageError
            failed += 1
            print(f"latent-studio: {f}: {exc}", file=sys.stderr)
    return EXIT_FAILED if failed else 0


def cmd_gallery_morph(args: argparse.Namespace) -> int:
    from studio.engine import RenderMorph
    from studio.gallery.recipes import installed_models, missing_model_note, morph_recipe_dicts
    from studio.imaging.animation import save_gif, save_mp4

    gallery = _gallery()
    items = _gallery_items(gallery, args.ids)
    installed = installed_models()
    try:
        recipes = morph_recipe_dicts(items, lambda m: missing_model_note({"model": m}, installed))
        request = RenderMorph.of(recipes, args.frames, args.mode, args.loop)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    out = Path(args.out)
    ensure_writable(out.parent if str(out.parent) else Path("."))
    engine = make_engine(args.device)
    try:
        frames = engine_call(engine, request)
    finally:
        engine.shutdown()
    recipe = {
        "morph": [r.to_dict() for r in request.recipes],
        "frames": args.frames,
        "mode": args.mode,
        "loop": args.loop,
    }
    if out.suffix.lower() == ".mp4":
        try:
            save_mp4(frames, out, args.fps)
        except RuntimeError as exc:
            raise CliError(str(exc)) from None
    elif out.suffix.lower() == ".gif":
        save_gif(frames, out, args.fps, recipe)
    else:
        raise CliError("A morph is written as .gif or .mp4.")
    print(f"Wrote {len(frames)} frames to {out}")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from studio.engine import RenderLatent
    from studio.imaging.decode import ImageError, read_user_file
    from studio.imaging.metadata import read_recipe, save_image
    from studio.models.catalog import ModelNotFound, resolve_model
    from studio.models.identity import model_sha256
    from studio.pipelines.render import Recipe

    try:
        # A regular file within the size limit (a FIFO would block, /dev/zero never
        # end); the recipe is bounded in size and depth before it is parsed.
        raw = read_recipe(read_user_file(args.recipe))
        if raw is None:
            raise CliError(f"{args.recipe} carries no Latent Studio recipe.")
        recipe = Recipe.from_dict(raw)
        recipe.check()  # the window's limits and a bounded grid, before any work
    except (ImageError, ValueError) as exc:  # RecipeError is both
        raise CliError(f"{args.recipe}: {exc}") from None
    try:
        path = resolve_model(recipe.model)
    except (ValueError, ModelNotFound) as exc:
        raise CliError(str(exc)) from None
    want = raw.get("model_sha256")
    if want and want != model_sha256(path):
        print(
            f"warning: {recipe.model} differs from the model that made this image; "
            "the pixels may differ.",
            file=sys.stderr,
        )
    out = Path(args.out)
    ensure_writable(out)
    engine = make_engine(args.device)
    try:
        result = engine_call(engine, RenderLatent.of(recipe))
    finally:
        engine.shutdown()
    target = out / (Path(args.recipe).stem + "-render.png")
    save_image(result.image, target, recipe={**raw, **recipe.to_dict()})
    print(f"Wrote {target}")
    return 0
