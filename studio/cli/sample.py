"""Commands about models: list, generate, measure."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from studio.cli.common import (
    CliError,
    class_index,
    ensure_writable,
    load_model,
)


def cmd_models(args: argparse.Namespace) -> int:
    from studio.models.catalog import list_models

    entries = list_models()
    if args.json:
        print(json.dumps([e.as_dict() for e in entries], indent=2))
        return 0
    if not entries:
        print("No models found. Shipped models live in checkpoints/; yours in", end=" ")
        from studio.models.catalog import user_model_dir

        print(user_model_dir())
        return 0
    rows = [("NAME", "ARCH", "RES", "DATA", "LICENCE", "SIZE")]
    for e in entries:
        if e.error:  # marked here, its reason on stderr below
            rows.append((e.name, "bad", "-", "-", "-", f"{e.size_mb:.1f} MB"))
            continue
        rows.append(
            (e.name, e.arch, f"{e.resolution}px", e.data_name, e.licence, f"{e.size_mb:.1f} MB")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    bad = [e for e in entries if e.error]
    for e in bad:
        print(f"! {e.path.name}: {e.error}", file=sys.stderr)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    # Check the arguments before importing torch: a typo should answer at once.
    if args.count < 1 or args.count > 4096:
        raise CliError("--count must be between 1 and 4096.")
    if not 0.0 <= args.truncation <= 2.0:
        raise CliError("--truncation must be between 0 and 2.")
    from studio.imaging.metadata import save_image
    from studio.models.identity import model_sha256
    from studio.pipelines.render import Recipe
    from studio.pipelines.sample import GenerateRequest, class_labels, generate_images

    out = Path(args.out)
    model = load_model(args.model, args.device)  # a bad model leaves no empty folder behind
    from studio.cli.genes import gene_edits

    genes = gene_edits(getattr(args, "gene", None), model)  # a bad gene leaves no folder
    ensure_writable(out)
    label = class_index(model, args.class_name)
    req = GenerateRequest(args.count, args.seed, args.truncation, label=label)
    images = list(generate_images(model, req))
    latents = model.module.sample_latents(args.count, args.seed).numpy()
    labels = class_labels(model, args.count, label, args.seed)
    sha = model_sha256(model.path)
    written: list[Path] = []
    for i, img in enumerate(images):
        # Image i is row i of the seed's draw: the recipe keeps that latent explicitly.
        made = Recipe(
            model.name,
            args.seed,
            args.truncation,
            latent=tuple(float(v) for v in latents[i]),
            # The class each image got, so its recipe names it even under "any class".
            label=None if labels is None else int(labels[i]),
            grid=(args.count, req.batch, i),
        )
        if genes:
            # Gene edits are made the way render remakes them: one image from its latent.
            from dataclasses import replace

            from studio.pipelines.render import render_recipe

            made = replace(made, genes=genes, grid=None)
            img = images[i] = render_recipe(model, made)
        recipe = made.to_dict()
        recipe.update(model_sha256=sha, index=i)
        path = out / f"{model.name}-{args.seed}-{i:04d}.png"
        try:
            # Atomic: a failed write leaves no partial file, and no older file replaced.
            save_image(img, path, recipe=recipe)
        except OSError as exc:  # a full disk, most often
            raise CliError(
                f"Could not write {path.name} to {out}: {exc.strerror or exc}; "
                f"{_kept(len(written), 'written before it')}."
            ) from None
        written.append(path)
    if args.grid:
        from studio.imaging.grid import contact_sheet

        grid_path = Path(args.grid)
        ensure_writable(grid_path.parent if str(grid_path.parent) else Path("."))
        try:
            # A sheet is a picture of many recipes, not one: it carries the disclosure only
            # (every image on it has a recipe like the last one's: a model made them).
            from studio.imaging.provenance import digital_source_type

            save_image(contact_sheet(list(images)), grid_path, source=digital_source_type(recipe))
        except OSError as exc:
            raise CliError(
                f"Could not write the grid {grid_path}: {exc.strerror or exc}; "
                f"{_kept(len(written), f'written to {out}')}."
            ) from None
    print(
        f"Wrote {images_count(len(written))} to {out}"
        + (f" and a grid to {args.grid}" if args.grid else "")
    )
    return 0


def images_count(n: int) -> str:
    """A count of images in words: 1 image, 3 images."""
    return f"{n} image" if n == 1 else f"{n} images"


def _kept(n: int, where: str) -> str:
    """What a failed command leaves, in words, e.g. the 3 images written before it are
    complete."""
    if n == 0:
        return "no image was written"
    return f"the {images_count(n)} {where} {'is' if n == 1 else 'are'} complete"


def cmd_metrics(args: argparse.Namespace) -> int:
    from studio.pipelines.metrics import evaluate_model, labels_for_model, standard_inception
    from studio.training.dataset import DatasetError, load_folder

    model = load_model(args.model, args.device)
    if args.inception:
        try:
            net = standard_inception(args.inception, next(model.module.parameters()).device)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    else:
        net = load_model(args.features, args.device, drawing=False)
    if net.kind != "features":
        raise CliError(f"{net.name} is not a feature network.")
    try:
        folder = load_folder(args.data, model.module.resolution, split="all", holdout=0)
    except DatasetError as exc:
        raise CliError(str(exc)) from None
    real_labels = labels_for_model(model, folder.classes, folder.labels)
    report = evaluate_model(
        model, net, folder.images, args.count or None, args.seed, real_labels=real_labels
    )
    if report.fid_warning:
        print(f"warning: {report.fid_warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(
            f"{model.name} against {args.data} ({report.real_images} real, "
            f"{report.fake_images} generated), measured with {report.features}:"
        )
        print(f"  FID ({report.features})  {report.fid:.2f}")
        print(
            f"  KID ({report.features})  {_plus_minus(report.kid, report.kid_std)} "
            f"(spread over subsets of {images_count(report.kid_subset)})"
        )
        print(f"  precision {report.precision:.3f}   recall {report.recall:.3f}")
        print(f"  Inception-style score ({report.features})  {report.inception_style_score:.2f}")
        if report.class_match is not None:
            print(
                f"  class match ({report.features}, 5 nearest real images)  "
                f"{report.class_match:.3f}   real images, each left out: "
                f"{report.real_class_match:.3f}"
            )
    return 0


def _plus_minus(value: float, spread: float) -> str:
    """``value ± spread`` to the spread's second significant digit (at least 4
    decimals), so a small but real spread never prints as 0.0000."""
    decimals = 4
    if math.isfinite(spread) and spread > 0:
        decimals = min(12, max(4, 1 - math.floor(math.log10(spread))))
    return f"{value:.{decimals}f} ± {spread:.{decimals}f}"
