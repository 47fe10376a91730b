"""The ``latent-studio`` command line: everything headless, for scripts and tests.

Every failure a person can cause (unknown model, bad file, unwritable folder) ends in one
plain line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_USAGE = 2
EXIT_FAILED = 1


class CliError(Exception):
    """A failure to report as one line."""


def _progress_bar(label: str, total: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="step", dynamic_ncols=True, file=sys.stderr)


# ---------------------------------------------------------------- models / generate


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
    from studio.imaging.metadata import save_image
    from studio.models.checkpoint import file_sha256
    from studio.pipelines.render import Recipe
    from studio.pipelines.sample import GenerateRequest, generate_images

    if args.count < 1 or args.count > 4096:
        raise CliError("--count must be between 1 and 4096.")
    if not 0.0 <= args.truncation <= 2.0:
        raise CliError("--truncation must be between 0 and 2.")
    out = Path(args.out)
    _ensure_writable(out)
    model = _load_model(args.model, args.device)
    label = _class_index(model, args.class_name)
    req = GenerateRequest(args.count, args.seed, args.truncation, label=label)
    images = generate_images(model, req)
    latents = model.module.sample_latents(args.count, args.seed).numpy()
    sha = file_sha256(model.path)
    written = []
    for i, img in enumerate(images):
        # Image i is row i of the seed's draw: the recipe keeps that latent explicitly.
        recipe = Recipe(
            model.name, args.seed, args.truncation, latent=latents[i], label=label
        ).to_dict()
        recipe.update(model_sha256=sha, index=i)
        path = out / f"{model.name}-{args.seed}-{i:04d}.png"
        save_image(img, path, recipe=recipe)
        written.append(path)
    if args.grid:
        from studio.imaging.grid import contact_sheet

        grid_path = Path(args.grid)
        _ensure_writable(grid_path.parent if str(grid_path.parent) else Path("."))
        # A sheet is a picture of many recipes, not one: it carries the disclosure only.
        save_image(contact_sheet(list(images)), grid_path)
    print(
        f"Wrote {len(written)} images to {out}"
        + (f" and a grid to {args.grid}" if args.grid else "")
    )
    return 0


def _class_index(model: Any, name: str | None) -> int | None:
    """The class index for ``--class NAME`` (None for unconditional models)."""
    classes = [str(c) for c in model.meta.get("classes", [])]
    if name is None:
        return 0 if classes else None
    if not classes:
        raise CliError(f"{model.name} has no classes; leave out --class.")
    if name not in classes:
        raise CliError(f"{model.name} has no class {name!r}; its classes: {', '.join(classes)}.")
    return classes.index(name)


def _load_model(name: str, device: str) -> Any:
    from studio.models.catalog import ModelNotFound, resolve_model
    from studio.models.checkpoint import CheckpointError, load_checkpoint
    from studio.models.device import pick_device

    try:
        dev = pick_device(device)
        path = resolve_model(name)
        return load_checkpoint(path, dev)
    except (ModelNotFound, CheckpointError, ValueError) as exc:
        raise CliError(str(exc)) from None


def _ensure_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"Cannot create the folder {folder}: {exc.strerror or exc}.") from None
    probe = folder / ".latent-studio-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise CliError(f"Cannot write to {folder}: {exc.strerror or exc}.") from None


# ---------------------------------------------------------------- data / train / export


def cmd_data_emoji(args: argparse.Namespace) -> int:
    from studio.training.emoji import FontError, build_emoji_folder

    if not 16 <= args.size <= 512:
        raise CliError("--size must be between 16 and 512.")
    _ensure_writable(Path(args.out))
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = _progress_bar("emoji", total)
        bar.update(done - bar.n)

    try:
        count, problems = build_emoji_folder(args.out, args.size, args.font, progress)
    except FontError as exc:
        raise CliError(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
    for p in problems[:10]:
        print(f"skipped {p}", file=sys.stderr)
    print(f"Wrote {count} emoji images ({args.size}×{args.size}) to {args.out}")
    return 0


def _train_config(args: argparse.Namespace) -> Any:
    from studio.training.run import TrainConfig

    model_fields: dict[str, Any] = {"resolution": args.resolution}
    for item in args.model_option or []:
        key, _, value = item.partition("=")
        if not key or not value:
            raise CliError(f"--model-option takes KEY=VALUE, not {item!r}.")
        try:
            model_fields[key] = json.loads(value)
        except json.JSONDecodeError:
            model_fields[key] = value
    return TrainConfig(
        kind=args.kind,
        data=str(Path(args.data).resolve()),
        steps=args.steps or 20000,
        epochs=args.epochs,
        batch=args.batch,
        lr=args.lr,
        optimizer=args.optimizer,
        seed=args.seed,
        checkpoint_every=args.checkpoint_every,
        preview_every=args.preview_every,
        holdout=args.holdout,
        policy=args.policy,
        augment=args.augment,
        augment_strength=args.augment_strength,
        ada=args.ada,
        loss=args.loss,
        beta=args.beta,
        kl_warmup=args.kl_warmup,
        r1_gamma=args.r1_gamma,
        init_from=args.from_model or "",
        freeze_d=args.freeze_d,
        conditional=args.conditional,
        device=args.device,
        model=model_fields,
        command="latent-studio " + shlex.join(sys.argv[1:]),
    )


def cmd_train(args: argparse.Namespace) -> int:
    from studio.training.dataset import DatasetError
    from studio.training.run import Run, RunError
    from studio.training.session import open_run, run_training

    try:
        cfg = None
        if not args.resume:
            if not args.data:
                raise CliError("A new run needs --data DIR.")
            cfg = _train_config(args)
        elif args.steps:
            cfg = Run(args.run).read_config()
            cfg.steps = args.steps
        run = open_run(args.run, cfg, resume=args.resume)
        if args.nproc > 1:
            return _train_processes(args)
        bar = None
        for report in run_training(run, resume=args.resume):
            if bar is None:
                bar = _progress_bar(f"train {run.read_config().kind}", report.total)
                bar.update(report.step - 1)
            bar.update(1)
            shown = {k: f"{v:.3g}" for k, v in report.losses.items() if k != "d_real_sign"}
            shown["img/s"] = f"{report.images_per_s:.1f}"
            bar.set_postfix(shown, refresh=False)
            if report.metrics:
                bar.write(
                    f"step {report.step}: "
                    + ", ".join(f"{k}={v}" for k, v in report.metrics.items())
                )
        if bar is not None:
            bar.close()
    except (RunError, DatasetError, ValueError) as exc:
        raise CliError(str(exc)) from None
    except KeyboardInterrupt:
        print("\nStopped. Continue with --resume; the last checkpoint is kept.", file=sys.stderr)
        return 130
    print(f"Training state saved in {args.run}")
    return 0


def _train_processes(args: argparse.Namespace) -> int:
    """Hand the run to torchrun with ``--nproc`` processes (GPUs, or gloo on CPUs)."""
    import subprocess

    from studio.training.ddp import torchrun_command

    cmd = torchrun_command(args.run, args.nproc, resume=args.resume)
    print("Running: " + shlex.join(cmd), file=sys.stderr)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        print("\nStopped. Continue with --resume; the last checkpoint is kept.", file=sys.stderr)
        return 130


def cmd_data_scan(args: argparse.Namespace) -> int:
    from studio.training.scan import scan_folder

    try:
        report = scan_folder(args.folder, min_side=args.min_size)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    print(report.summary())
    if args.verbose:
        for e in report.skipped:
            print(f"  {e.path}: {e.reason}")
    if not report.usable:
        raise CliError(f"{args.folder} has no usable images.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from studio.training.export import ExportError, export_run

    try:
        out = getattr(args, "out", None)
        path, meta = export_run(args.run, args.name, out=out, half=not args.fp32)
    except ExportError as exc:
        raise CliError(str(exc)) from None
    print(f"Exported {args.name} to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    figures = meta.get("figures", {})
    if figures:
        print("Measured: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    from studio.pipelines.metrics import evaluate_model
    from studio.training.dataset import DatasetError, load_folder

    model = _load_model(args.model, args.device)
    net = _load_model(args.features, args.device)
    if net.kind != "features":
        raise CliError(f"{net.name} is not a feature network.")
    try:
        real = load_folder(args.data, model.module.resolution, split="all", holdout=0).images
    except DatasetError as exc:
        raise CliError(str(exc)) from None
    report = evaluate_model(model, net, real, args.count or None, args.seed)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(
            f"{model.name} against {args.data} ({report.real_images} real, "
            f"{report.fake_images} generated), measured with {report.features}:"
        )
        print(f"  FID ({report.features})  {report.fid:.2f}")
        print(f"  KID ({report.features})  {report.kid:.4f} ± {report.kid_std:.4f}")
        print(f"  precision {report.precision:.3f}   recall {report.recall:.3f}")
        print(f"  Inception-style score ({report.features})  {report.inception_style_score:.2f}")
    return 0


# ---------------------------------------------------------------- gallery / render


def _gallery() -> Any:
    from studio.gallery import Gallery, GalleryError
    from studio.gallery.recipes import gallery_dir

    try:
        return Gallery(gallery_dir())
    except GalleryError as exc:
        raise CliError(str(exc)) from None


def cmd_gallery_list(args: argparse.Namespace) -> int:
    from studio.gallery.recipes import missing_model_note

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
    for i in items:
        star = "*" if i.favourite else " "
        note = missing_model_note(i.recipe)
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
    from studio.imaging.export import ExportError, ExportJob, export_images

    gallery = _gallery()
    items = _gallery_items(gallery, args.ids) if args.ids else gallery.items()
    if not items:
        raise CliError("Nothing to export: the gallery is empty.")
    jobs = [
        ExportJob(
            gallery.image(i.id),
            i.recipe,
            {"model": i.model or "image", "seed": i.seed if i.seed is not None else "", "id": i.id},
        )
        for i in items
    ]
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
        except (ImageError, GalleryError) as exc:
            failed += 1
            print(f"latent-studio: {f}: {exc}", file=sys.stderr)
    return EXIT_FAILED if failed else 0


def _engine(device: str) -> Any:
    from studio.engine import Engine

    try:
        return Engine(device)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _engine_call(engine: Any, request: Any) -> Any:
    try:
        return engine.call(request)
    except RuntimeError as exc:
        raise CliError(str(exc)) from None


def cmd_gallery_morph(args: argparse.Namespace) -> int:
    from studio.engine import RenderMorph
    from studio.imaging.animation import save_gif, save_mp4
    from studio.pipelines.render import Recipe

    gallery = _gallery()
    items = _gallery_items(gallery, args.ids)
    if len(items) < 2:
        raise CliError("A morph needs at least two gallery items.")
    if any(not i.recipe for i in items):
        raise CliError("Every item of a morph needs a recipe (imported plain images have none).")
    try:
        recipes = tuple(Recipe.from_dict(i.recipe) for i in items)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    out = Path(args.out)
    _ensure_writable(out.parent if str(out.parent) else Path("."))
    engine = _engine(args.device)
    try:
        frames = _engine_call(
            engine, RenderMorph(recipes[0].model, recipes, args.frames, args.mode, args.loop)
        )
    finally:
        engine.shutdown()
    recipe = {
        "morph": [r.to_dict() for r in recipes],
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
    from studio.imaging.metadata import read_recipe, save_image
    from studio.models.catalog import ModelNotFound, resolve_model
    from studio.models.checkpoint import file_sha256
    from studio.pipelines.render import Recipe

    try:
        data = Path(args.recipe).read_bytes()
    except OSError as exc:
        raise CliError(f"Cannot read {args.recipe}: {exc.strerror or exc}.") from None
    raw = read_recipe(data)
    if raw is None:
        raise CliError(f"{args.recipe} carries no Latent Studio recipe.")
    try:
        recipe = Recipe.from_dict(raw)
        path = resolve_model(recipe.model)
    except (ValueError, ModelNotFound) as exc:
        raise CliError(str(exc)) from None
    want = raw.get("model_sha256")
    if want and want != file_sha256(path):
        print(
            f"warning: {recipe.model} differs from the model that made this image; "
            "the pixels may differ.",
            file=sys.stderr,
        )
    out = Path(args.out)
    _ensure_writable(out)
    engine = _engine(args.device)
    try:
        result = _engine_call(engine, RenderLatent.of(recipe))
    finally:
        engine.shutdown()
    target = out / (Path(args.recipe).stem + "-render.png")
    save_image(result.image, target, recipe={**raw, **recipe.to_dict()})
    print(f"Wrote {target}")
    return 0


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="latent-studio",
        description="Latent Studio: make and train generative image models on your machine. "
        "With no command, opens the studio window.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    m = sub.add_parser("models", help="list the models Latent Studio can find")
    m.add_argument("--json", action="store_true", help="machine-readable output")
    m.set_defaults(func=cmd_models)

    g = sub.add_parser("generate", help="sample images from a model")
    g.add_argument("--model", required=True, help="a model name (see `models`) or a file path")
    g.add_argument("--count", type=int, default=16)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--truncation", type=float, default=1.0)
    g.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    g.add_argument("--out", required=True, help="folder for the PNGs")
    g.add_argument("--grid", help="also write one contact-sheet image here")
    g.add_argument("--class", dest="class_name", help="class, for class-conditional models")
    g.set_defaults(func=cmd_generate)

    d = sub.add_parser("data", help="prepare training data")
    dsub = d.add_subparsers(dest="data_command", metavar="SOURCE", required=True)
    de = dsub.add_parser("emoji", help="a folder of Noto Color Emoji images")
    de.add_argument("--out", required=True)
    de.add_argument("--size", type=int, default=64)
    de.add_argument("--font", help="path to NotoColorEmoji.ttf")
    de.set_defaults(func=cmd_data_emoji)

    ds = dsub.add_parser("scan", help="report which images of a folder can be trained on")
    ds.add_argument("folder")
    ds.add_argument("--min-size", type=int, default=16, help="smallest usable side in px")
    ds.add_argument("-v", "--verbose", action="store_true", help="list every skipped file")
    ds.set_defaults(func=cmd_data_scan)

    t = sub.add_parser("train", help="train or fine-tune a GAN or VAE on a folder of images")
    t.add_argument("kind", choices=["gan", "vae", "features"], help="features: the metrics net")
    t.add_argument("--data", help="folder of training images")
    t.add_argument("--run", required=True, help="run folder (checkpoints, previews, log)")
    t.add_argument("--steps", type=int, default=0, help="total steps (default 20000)")
    t.add_argument("--epochs", type=float, default=0.0, help="train this many epochs instead")
    t.add_argument("--resume", action="store_true", help="continue the run in --run")
    t.add_argument("--from", dest="from_model", help="fine-tune from this model (name or file)")
    t.add_argument("--freeze-d", type=int, default=0, help="GAN fine-tune: fixed lower D layers")
    t.add_argument("--conditional", action="store_true", help="GAN: subfolders are classes")
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--lr", type=float, default=0.0)
    t.add_argument("--optimizer", choices=["adam", "rmsprop", "sgd"], default="adam")
    t.add_argument("--loss", choices=["nonsat", "hinge"], default="nonsat", help="GAN loss")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--resolution", type=int, default=64)
    t.add_argument("--holdout", type=float, default=0.1, help="fraction kept out of training")
    t.add_argument("--policy", choices=["pad", "crop", "stretch"], default="pad")
    t.add_argument("--augment", default="color,translation,cutout", help="DiffAugment policy")
    t.add_argument("--augment-strength", type=float, default=-1.0, help="<0: by set size")
    t.add_argument("--ada", action="store_true", help="adapt augmentation to D overfitting")
    t.add_argument("--beta", type=float, default=1.0, help="VAE KL weight")
    t.add_argument("--kl-warmup", type=int, default=2000, help="VAE steps to ramp the KL")
    t.add_argument("--r1-gamma", type=float, default=1.0, help="GAN R1 weight")
    t.add_argument("--checkpoint-every", type=int, default=500)
    t.add_argument("--preview-every", type=int, default=500)
    t.add_argument("--device", default="auto")
    t.add_argument("--nproc", type=int, default=1, help="processes (GPUs) to train on")
    t.add_argument(
        "--model-option",
        action="append",
        metavar="KEY=VALUE",
        help="a model config field, e.g. channel_base=1024 (repeatable)",
    )
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("export", help="export a training run as a model file")
    e.add_argument("run", help="run folder")
    e.add_argument("--name", required=True)
    e.add_argument("--out", help="folder (default: your user model folder)")
    e.add_argument("--fp32", action="store_true", help="keep 32-bit weights")
    e.set_defaults(func=cmd_export)

    pb = sub.add_parser("publish", help="publish a run to your model folder for the studio")
    pb.add_argument("run", help="run folder")
    pb.add_argument("--name", required=True)
    pb.add_argument("--fp32", action="store_true", help="keep 32-bit weights")
    pb.set_defaults(func=cmd_export)
    mt = sub.add_parser("metrics", help="FID/KID, precision/recall of a model against a folder")
    mt.add_argument("--model", required=True)
    mt.add_argument("--data", required=True, help="folder of real images")
    mt.add_argument("--features", default="studio-features", help="feature network model")
    mt.add_argument("--count", type=int, default=0, help="samples to generate (default: as many)")
    mt.add_argument("--seed", type=int, default=0)
    mt.add_argument("--device", default="auto")
    mt.add_argument("--json", action="store_true")
    mt.set_defaults(func=cmd_metrics)

    gal = sub.add_parser("gallery", help="list, import, export and morph kept images")
    gsub = gal.add_subparsers(dest="gallery_command", metavar="ACTION", required=True)
    gl = gsub.add_parser("list", help="list kept images")
    gl.add_argument("--model")
    gl.add_argument("--favourites", action="store_true")
    gl.add_argument("--tag")
    gl.add_argument("--text")
    gl.add_argument("--json", action="store_true")
    gl.set_defaults(func=cmd_gallery_list)
    ge = gsub.add_parser("export", help="export kept images with their recipes")
    ge.add_argument("ids", nargs="*", type=int, help="item ids (default: all)")
    ge.add_argument("--out", required=True)
    ge.add_argument("--format", default="png", choices=["png", "jpeg", "webp"])
    ge.add_argument("--pattern", default="{model}-{seed}-{n}")
    ge.add_argument("--scale", type=int, default=1)
    ge.add_argument("--smooth", action="store_true", help="smooth scaling (default: crisp)")
    ge.add_argument("--overwrite", action="store_true", help="replace existing files")
    ge.set_defaults(func=cmd_gallery_export)
    gi = gsub.add_parser("import", help="add image files (their recipes come along)")
    gi.add_argument("files", nargs="+")
    gi.set_defaults(func=cmd_gallery_import)
    gm = gsub.add_parser("morph", help="an animation between two or more kept images")
    gm.add_argument("ids", nargs="+", type=int)
    gm.add_argument("--out", required=True, help="FILE.gif or FILE.mp4")
    gm.add_argument("--frames", type=int, default=24)
    gm.add_argument("--mode", choices=["linear", "spherical"], default="linear")
    gm.add_argument("--loop", choices=["once", "loop", "pingpong"], default="loop")
    gm.add_argument("--fps", type=float, default=12.0)
    gm.add_argument("--device", default="auto")
    gm.set_defaults(func=cmd_gallery_morph)

    r = sub.add_parser("render", help="remake an image from the recipe inside a PNG")
    r.add_argument("recipe", help="an image written by Latent Studio")
    r.add_argument("--out", required=True)
    r.add_argument("--device", default="auto")
    r.set_defaults(func=cmd_render)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run one CLI command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"latent-studio: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
