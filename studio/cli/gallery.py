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
    from studio.imaging.export import counted

    print(counted(len(items), "item"), file=sys.stderr)
    return 0


def _gallery_items(gallery: Any, ids: list[int]) -> list[Any]:
    try:
        return [gallery.get(i) for i in ids]
    except KeyError as exc:
        raise CliError(str(exc.args[0])) from None


def cmd_gallery_export(args: argparse.Namespace) -> int:
    from studio.gallery.recipes import export_job
    from studio.imaging.export import ExportError, counted, export_images

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
        raise CliError(
            f"Nothing exported: none of the {counted(len(items), 'item')} could be read."
        )
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
    print(f"Exported {counted(len(paths), 'image')} to {args.out}")
    if failed:
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
    from studio.imaging.animation import save_gif, save_mp4, scaled_frames
    from studio.imaging.export import counted

    out = Path(args.out)
    if out.suffix.lower() not in (".gif", ".mp4"):
        raise CliError("A morph is written as .gif or .mp4.")
    _check_scale(args.scale)
    _refuse_existing(out, args.overwrite)
    gallery = _gallery()
    items = _gallery_items(gallery, args.ids)
    installed = installed_models()
    try:
        recipes = morph_recipe_dicts(items, lambda m: missing_model_note({"model": m}, installed))
        request = RenderMorph.of(recipes, args.frames, args.mode, args.loop)
    except ValueError as exc:
        raise CliError(str(exc)) from None
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
    try:
        frames = scaled_frames(frames, args.scale, args.smooth)
        if out.suffix.lower() == ".mp4":
            save_mp4(frames, out, args.fps, recipe)
        else:
            save_gif(frames, out, args.fps, recipe)
    except (RuntimeError, ValueError) as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"Could not write {out}: {exc.strerror or exc}.") from None
    print(f"Wrote {counted(len(frames), 'frame')} to {out}")
    return 0


def _check_scale(scale: int) -> None:
    from studio.imaging.resize import MAX_SCALE

    if not 1 <= scale <= MAX_SCALE:
        raise CliError(f"--scale must be between 1 and {MAX_SCALE}.")


def _refuse_existing(out: Path, overwrite: bool) -> None:
    if out.exists() and not overwrite:
        raise CliError(f"{out} already exists; add --overwrite to replace it.")
    if out.is_dir():
        raise CliError(f"{out} is a folder; name the file to write.")


def cmd_gallery_sheet(args: argparse.Namespace) -> int:
    from studio.gallery.recipes import sheet_caption
    from studio.imaging.decode import ImageError
    from studio.imaging.export import counted
    from studio.imaging.grid import save_sheet
    from studio.imaging.metadata import FORMATS

    out = Path(args.out)
    if out.suffix.lower() not in FORMATS:
        raise CliError("A contact sheet is written as .png, .jpg or .webp.")
    _check_scale(args.scale)
    _refuse_existing(out, args.overwrite)
    gallery = _gallery()
    items = _gallery_items(gallery, args.ids) if args.ids else gallery.items()
    if not items:
        raise CliError("Nothing to put on a contact sheet: the gallery is empty.")
    try:
        images = [gallery.image(i.id) for i in items]
    except ImageError as exc:
        raise CliError(f"A kept image cannot be read: {exc}") from None
    ensure_writable(out.parent if str(out.parent) else Path("."))
    try:
        save_sheet(
            images,
            out,
            [i.recipe for i in items],
            [sheet_caption(i) for i in items] if args.captions else (),
            args.scale,
            args.smooth,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"Could not write {out}: {exc.strerror or exc}.") from None
    print(f"Wrote a contact sheet of {counted(len(items), 'image')} to {out}")
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from studio.engine import RenderLatent
    from studio.imaging.decode import ImageError, read_user_file
    from studio.imaging.metadata import read_recipe, save_image
    from studio.pipelines.render import Recipe

    try:
        # A regular file within the size limit (a FIFO would block, /dev/zero never
        # end); the recipe is bounded in size and depth before it is parsed.
        raw = read_recipe(read_user_file(args.recipe))
        if raw is None:
            raise CliError(f"{args.recipe} carries no Latent Studio recipe.")
        if raw.get("kind") in ("mix", "variation"):
            from studio.cli.creative import render_kind

            return render_kind(args, raw)
        recipe = Recipe.from_dict(raw)
        recipe.check()  # the window's limits and a bounded grid, before any work
    except (ImageError, ValueError) as exc:  # RecipeError is both
        raise CliError(f"{args.recipe}: {exc}") from None
    path, name, sha = render_model(recipe.model, getattr(args, "model", None), raw)
    out = Path(args.out)
    ensure_writable(out)
    engine = make_engine(args.device)
    try:
        # By its file, so the model rendered with is the one checked above.
        result = engine_call(engine, RenderLatent.of(replace(recipe, model=str(path))))
    finally:
        engine.shutdown()
    target = out / (Path(args.recipe).stem + "-render.png")
    # The new image's recipe names the model that made it, and that model's file.
    made = {**raw, **replace(recipe, model=name).to_dict()}
    if raw.get("model_sha256"):
        made["model_sha256"] = sha
    save_image(result.image, target, recipe=made)
    print(f"Wrote {target}")
    return 0


def render_model(wanted: str, given: str | None, raw: dict[str, Any]) -> tuple[Path, str, str]:
    """The model file to render a recipe with, and its name: ``given`` (``--model``,
    a name or a file) or else the recipe's own model; one plain line when neither is
    there, naming the model the recipe wants; a warning when it is not the very model
    that made the image. Returns the file, its name and its model sha256."""
    from studio.models.identity import model_sha256

    path, name = _find_render_model(wanted, given, raw)
    sha = model_sha256(path)
    want = raw.get("model_sha256")
    if want and want != sha:
        print(
            f"warning: {name} differs from the model that made this image; the pixels may differ.",
            file=sys.stderr,
        )
    return path, name, sha


def _find_render_model(wanted: str, given: str | None, raw: dict[str, Any]) -> tuple[Path, str]:
    from studio.models.catalog import ModelNotFound, resolve_model
    from studio.models.checkpoint import CheckpointError, read_header

    try:
        path = resolve_model(given or wanted)
    except ModelNotFound as exc:
        if given:
            raise CliError(str(exc)) from None
        sha = raw.get("model_sha256")
        made_by = f" (model sha256 {sha[:12]}…)" if isinstance(sha, str) and sha else ""
        raise CliError(
            f"This image was made with the model {wanted!r}{made_by}, which is not "
            "installed; add --model NAME_OR_FILE to render it with that model."
        ) from None
    if not given:
        return path, wanted
    try:
        name = read_header(path).get("name")
    except CheckpointError as exc:
        raise CliError(str(exc)) from None
    return path, str(name) if isinstance(name, str) and name else path.stem
