"""The ``latent-studio`` command line: everything headless, for scripts and tests.

Every failure a person can cause (unknown model, bad file, unwritable folder) ends in one
plain line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from studio.cli.common import EXIT_FAILED, EXIT_STOPPED, EXIT_USAGE, CliError
from studio.cli.creative import add_creative_parsers
from studio.cli.gallery import (
    cmd_gallery_export,
    cmd_gallery_import,
    cmd_gallery_list,
    cmd_gallery_morph,
    cmd_gallery_sheet,
    cmd_render,
)
from studio.cli.genes import add_gene_parsers
from studio.cli.sample import cmd_generate, cmd_metrics, cmd_models
from studio.cli.showcase import add_showcase_parser
from studio.cli.train import cmd_data_emoji, cmd_data_scan, cmd_export, cmd_train
from studio.imaging.export import DEFAULT_PATTERN, PATTERN_FIELDS
from studio.imaging.resize import MAX_SCALE


def studio_version() -> str:
    """The installed package's version, else the source tree's."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("latent-studio")
    except PackageNotFoundError:
        from studio import __version__

        return __version__


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="latent-studio",
        description="Latent Studio: make and train generative image models on your machine. "
        "With no command, opens the studio window.",
    )
    p.add_argument("--version", action="version", version=f"latent-studio {studio_version()}")
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
    g.add_argument(
        "--gene",
        action="append",
        metavar="FILE=AMOUNT",
        help="move every image along a gene (from `gene make`) by AMOUNT slider units, "
        "within ±3 (repeatable)",
    )
    g.set_defaults(func=cmd_generate)

    d = sub.add_parser("data", help="prepare training data")
    dsub = d.add_subparsers(dest="data_command", metavar="SOURCE", required=True)
    de = dsub.add_parser("emoji", help="a folder of Noto Color Emoji images")
    de.add_argument("--out", required=True)
    de.add_argument("--size", type=int, default=64)
    de.add_argument("--font", help="path to NotoColorEmoji.ttf")
    de.add_argument(
        "--singles",
        action="store_true",
        help="one image per code point: leave out skin-tone, flag and ZWJ sequences",
    )
    de.add_argument(
        "--classes",
        choices=["group", "subgroup", "each"],
        help="one subfolder per Unicode emoji group or subgroup, for --conditional training "
        "(implies --singles); each: one subfolder per image, to train a feature network "
        "that tells the emoji apart",
    )
    de.add_argument(
        "--only",
        action="append",
        metavar="GROUP",
        help="keep only this Unicode emoji group or subgroup, e.g. smileys-emotion or "
        "cat-face (repeatable; implies --singles)",
    )
    de.add_argument(
        "--emoji-test", help="path to Unicode's emoji-test.txt (for --classes and --only)"
    )
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
    t.add_argument(
        "--arch",
        choices=["stylegan", "fastgan"],
        default="",
        help="GAN architecture (default stylegan; fastgan: lighter, for small sets and CPUs)",
    )
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
    t.add_argument(
        "--coverage",
        type=float,
        default=0.0,
        help="GAN: weight of the coverage (IMLE) loss, which pulls G to draw each image "
        "(0 = off; about 30 matches the adversarial loss's pull on emoji-gan)",
    )
    t.add_argument(
        "--coverage-every",
        type=int,
        default=500,
        help="GAN: steps between coverage matches (each draws 4 samples per image)",
    )
    t.add_argument(
        "--feature-d",
        type=float,
        default=0.0,
        help="GAN: weight of a second discriminator that judges images by the features "
        "of a frozen feature network (0 = off)",
    )
    t.add_argument(
        "--feature-net",
        default="studio-features",
        metavar="MODEL",
        help="GAN: the feature network --feature-d judges with (keep it installed "
        "unchanged while the run goes on)",
    )
    t.add_argument("--checkpoint-every", type=int, default=500, help="steps between checkpoints")
    t.add_argument(
        "--checkpoint-minutes",
        type=float,
        default=5.0,
        help="also checkpoint after this many minutes of training, so a kill loses at "
        "most that (0 = by steps only; default 5)",
    )
    t.add_argument("--preview-every", type=int, default=500)
    t.add_argument("--device", default="auto")
    t.add_argument(
        "--cpu-bf16",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="GAN: bf16 autocast on the CPU (faster on CPUs with native bf16)",
    )
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
    e.add_argument("--overwrite", action="store_true", help="replace a model of that name")
    e.set_defaults(func=cmd_export)

    pb = sub.add_parser("publish", help="publish a run to your model folder for the studio")
    pb.add_argument("run", help="run folder")
    pb.add_argument("--name", required=True)
    pb.add_argument("--fp32", action="store_true", help="keep 32-bit weights")
    pb.add_argument("--overwrite", action="store_true", help="replace a model of that name")
    pb.set_defaults(func=cmd_export)
    mt = sub.add_parser("metrics", help="FID/KID, precision/recall of a model against a folder")
    mt.add_argument("--model", required=True)
    mt.add_argument("--data", required=True, help="folder of real images")
    mt.add_argument("--features", default="studio-features", help="feature network model")
    mt.add_argument(
        "--inception",
        metavar="FILE",
        help="standard FID Inception weights you have (e.g. pt_inception-2015-12-05.pth)",
    )
    mt.add_argument("--count", type=int, default=0, help="samples to generate (default: as many)")
    mt.add_argument("--seed", type=int, default=0)
    mt.add_argument("--device", default="auto")
    mt.add_argument("--json", action="store_true")
    mt.set_defaults(func=cmd_metrics)

    _add_gallery(sub)

    r = sub.add_parser("render", help="remake an image from the recipe inside a PNG")
    r.add_argument("recipe", help="an image written by Latent Studio")
    r.add_argument("--out", required=True)
    r.add_argument(
        "--model",
        metavar="NAME_OR_FILE",
        help="the model to render with (a name or a file), when the recipe's is not installed",
    )
    r.add_argument("--device", default="auto")
    r.set_defaults(func=cmd_render)
    add_showcase_parser(sub)
    add_creative_parsers(sub)
    add_gene_parsers(sub)
    return p


def _scale_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--scale and --smooth, the same for single exports, morphs and contact sheets."""
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        metavar="N",
        help=f"enlarge {what} N times, 1 to {MAX_SCALE} (default 1)",
    )
    parser.add_argument(
        "--smooth",
        action="store_true",
        help="enlarge smoothly (bicubic); the default is crisp (nearest), for pixel art",
    )


def _add_gallery(sub: Any) -> None:
    """The ``gallery`` commands: every option with its help."""
    gal = sub.add_parser(
        "gallery",
        help="list, import, export and morph kept images",
        description="The gallery of kept images: list, import, export, contact sheets, morphs.",
    )
    gsub = gal.add_subparsers(dest="gallery_command", metavar="ACTION", required=True)
    gl = gsub.add_parser("list", help="list kept images")
    gl.add_argument("--model", help="only the images of this model")
    gl.add_argument("--favourites", action="store_true", help="only the favourites")
    gl.add_argument("--tag", help="only the images with this tag")
    gl.add_argument("--text", help="only the images whose title, model, recipe or tag has this")
    gl.add_argument("--json", action="store_true", help="machine-readable output")
    gl.set_defaults(func=cmd_gallery_list)

    fields = "\n".join(f"  {{{k}}}".ljust(11) + v for k, v in PATTERN_FIELDS.items())
    ge = gsub.add_parser(
        "export",
        help="export kept images with their recipes",
        description="Write kept images to a folder, each with its recipe and an honest\n"
        "disclosure (an untouched import makes no AI claim). An existing file is never\n"
        "overwritten unless --overwrite: the export picks a new name instead.",
        epilog=f"file-name pattern fields:\n{fields}\n\nAn empty field takes one "
        "separator next to it along: no '--' for a missing seed.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ge.add_argument("ids", nargs="*", type=int, help="item ids (default: all)")
    ge.add_argument("--out", required=True, metavar="FOLDER", help="folder to write to")
    ge.add_argument(
        "--format", default="png", choices=["png", "jpeg", "webp"], help="file format (png)"
    )
    ge.add_argument(
        "--pattern",
        default=DEFAULT_PATTERN,
        help=f"file names, from the fields below (default {DEFAULT_PATTERN.replace('%', '%%')})",
    )
    _scale_options(ge, "each image")
    ge.add_argument("--overwrite", action="store_true", help="replace existing files")
    ge.set_defaults(func=cmd_gallery_export)

    gi = gsub.add_parser("import", help="add image files (their recipes come along)")
    gi.add_argument("files", nargs="+", help="image files (PNG, JPEG, WebP, GIF, …)")
    gi.set_defaults(func=cmd_gallery_import)

    gs = gsub.add_parser("sheet", help="one contact-sheet image of kept images")
    gs.add_argument("ids", nargs="*", type=int, help="item ids (default: all)")
    gs.add_argument("--out", required=True, metavar="FILE", help="FILE.png, .jpg or .webp")
    _scale_options(gs, "the sheet")
    gs.add_argument(
        "--captions",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="model and seed (or file name) under each image (default: on)",
    )
    gs.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    gs.set_defaults(func=cmd_gallery_sheet)

    gm = gsub.add_parser("morph", help="an animation between two or more kept images")
    gm.add_argument("ids", nargs="+", type=int, help="ids of 2+ kept images of one model")
    gm.add_argument("--out", required=True, metavar="FILE", help="FILE.gif or FILE.mp4")
    gm.add_argument("--frames", type=int, default=24, help="frames to render (default 24)")
    gm.add_argument(
        "--mode",
        choices=["linear", "spherical"],
        default="linear",
        help="interpolate straight or along the sphere (default linear)",
    )
    gm.add_argument(
        "--loop",
        choices=["once", "loop", "pingpong"],
        default="loop",
        help="once; loop back to the first image; or there and back (default loop)",
    )
    gm.add_argument("--fps", type=float, default=12.0, help="frames per second (default 12)")
    _scale_options(gm, "every frame")
    gm.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    gm.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    gm.set_defaults(func=cmd_gallery_morph)


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
    except KeyboardInterrupt:  # commands with something to keep say so themselves
        print("\nlatent-studio: stopped.", file=sys.stderr)
        return EXIT_STOPPED
