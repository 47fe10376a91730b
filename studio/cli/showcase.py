"""``latent-studio showcase``: choose the seed a model opens on, by measurement."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from studio.cli.common import CliError, load_model


def add_showcase_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the ``showcase`` command."""
    s = sub.add_parser(
        "showcase",
        help="choose the seed a model opens on: the most typical of its first seeds",
        description="Render seeds 0…COUNT-1 as the window does, embed them with the feature "
        "network and rank them by how typical they are: the mean distance to the nearest "
        "training images (--data), else to the nearest other samples.",
    )
    s.add_argument("--model", required=True, help="model name or file")
    s.add_argument("--data", help="folder of the model's training images (recommended)")
    s.add_argument("--count", type=int, default=300, help="seeds to try (default 300)")
    s.add_argument("--features", default="studio-features", help="feature network model")
    s.add_argument(
        "--write",
        action="store_true",
        help="store the seed as default_seed in the model file (its weights stay as they are)",
    )
    s.add_argument("--sheet", metavar="FILE.png", help="write the best 16 and the worst 8")
    s.add_argument("--device", default="cpu")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_showcase)


def cmd_showcase(args: argparse.Namespace) -> int:
    """Choose, report, and with ``--write`` store the showcase seed."""
    from studio.imaging.grid import contact_sheet
    from studio.models.checkpoint import CheckpointError
    from studio.models.identity import rewrite_metadata
    from studio.pipelines.showcase import choose_seed
    from studio.training.dataset import DatasetError, load_folder

    if not 2 <= args.count <= 10_000:
        raise CliError("--count must be from 2 to 10000.")
    model = load_model(args.model, args.device)
    net = load_model(args.features, args.device, drawing=False)
    if net.kind != "features":
        raise CliError(f"{net.name} is not a feature network.")
    real = None
    if args.data:
        try:
            folder = load_folder(args.data, model.module.resolution, split="all", holdout=0)
        except DatasetError as exc:
            raise CliError(str(exc)) from None
        real = folder.images
    show = choose_seed(model, net, real, args.count)
    summary = show.summary(net.name, model.name)
    if args.data:
        summary["data"] = Path(args.data).name
    if args.sheet:
        picks = [
            *range(min(16, len(show.seeds))),
            *range(max(16, len(show.seeds) - 8), len(show.seeds)),
        ]
        sheet = contact_sheet(
            show.images[picks], columns=8, captions=[f"{show.seeds[i]}" for i in picks]
        )
        from PIL import Image

        Image.fromarray(sheet).save(args.sheet)
    if args.write:
        try:
            rewrite_metadata(model.path, {"default_seed": show.best, "showcase": summary})
        except (CheckpointError, OSError) as exc:
            raise CliError(f"Could not write {model.path}: {exc}") from None
    if args.json:
        print(json.dumps({**summary, "top": [int(s) for s in show.seeds[:10]]}, indent=2))
    else:
        top = ", ".join(str(int(s)) for s in show.seeds[1:6])
        print(f"{model.name}: seed {show.best} is the most typical of seeds 0-{args.count - 1}")
        print(f"  ({show.method}, {net.name}: {summary['score']} against a median of ")
        print(f"  {summary['median_score']}); runners-up {top}.")
        if args.write:
            print(f"  Stored as default_seed in {model.path}.")
    return 0
