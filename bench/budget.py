"""Equal-budget benchmark: our trainer with each GAN architecture against a textbook
DCGAN, given the same data and the same training time, then judged the same way.

Each contestant trains for ``--minutes`` of training-step time (wall clock inside the
steps; previews and checkpoints are not counted) on ``--threads`` CPU threads:

- ``stylegan`` and ``fastgan``: ``latent-studio train gan --arch …`` through our trainer
  (run folders, augmentation, EMA), with each architecture's recipe (``RECIPES``);
- ``dcgan``: the textbook loop of pytorch/examples (Radford et al.; the networks of
  ``bench/train.py`` at width 64, Adam 2e-4, betas 0.5/0.999, batch 64, no augmentation).

Then each draws ``--samples`` images (seed 0, truncation 1) and is measured against the
whole data folder with our feature network (studio-feature FID, KID, precision, recall:
"studio features", not the standard Inception figures), and its first 64 samples are
written as a contact sheet. For figures that mean something, run it with nothing else
on the machine: ``--minutes 45 --threads 2`` is the issue's setting.

Every run is resumable: run the same command again with the same ``--out`` and each
contestant carries on from its last checkpoint until its budget is spent (a contestant
that has spent it only draws and is measured again).

Prints JSON and writes ``OUT/budget.json`` and ``OUT/sheet-NAME.png``.

    python bench/budget.py --out DIR [--data DIR] [--minutes 45] [--threads 2]
                           [--only stylegan,fastgan,dcgan] [--samples 2000]
    python bench/budget.py --speed 20   # images/s of one training step of each, only
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train import dcgan, params  # noqa: E402  (bench/train.py: the textbook networks)

from studio.imaging.grid import contact_sheet  # noqa: E402
from studio.models.base import seeded_normal  # noqa: E402
from studio.models.checkpoint import LoadedModel  # noqa: E402
from studio.models.registry import build, get_arch  # noqa: E402
from studio.pipelines.metrics import compare, installed_features  # noqa: E402
from studio.pipelines.sample import GenerateRequest, generate_images, to_uint8  # noqa: E402
from studio.training.dataset import FolderData, load_folder, to_tensor  # noqa: E402
from studio.training.estimate import with_device_defaults  # noqa: E402
from studio.training.gan_trainer import GANTrainer  # noqa: E402
from studio.training.run import Run, TrainConfig, step_generator  # noqa: E402
from studio.training.session import open_run, run_training  # noqa: E402

CONTESTANTS = ("stylegan", "fastgan", "dcgan")
# Each architecture's own recipe on top of the trainer's defaults: the style GAN's
# non-saturating loss with lazy R1 (its shipped recipe), FastGAN's hinge loss.
RECIPES: dict[str, dict[str, Any]] = {
    "stylegan": {"loss": "nonsat"},
    "fastgan": {"loss": "hinge"},
}
DCGAN_WIDTH, DCGAN_BATCH, DCGAN_Z = 64, 64, 128
SHEET = 64
DEFAULT_DATA = "/tmp/data/emoji64-smileys"


def our_config(arch: str, data: str, args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        kind="gan",
        arch=arch,
        data=str(Path(data).resolve()),
        steps=10**8,  # the budget stops it, not a step count
        batch=args.batch,
        seed=args.seed,
        checkpoint_every=200,
        preview_every=10**8,
        log_every=50,
        holdout=0.0,  # trained and judged on the whole set, as the DCGAN is
        device="cpu",
        model={"resolution": args.resolution},
        command="bench/budget.py",
        **RECIPES[arch],
    )


def train_ours(arch: str, args: argparse.Namespace, budget_s: float) -> tuple[Any, dict]:
    """Train (or carry on) ``arch`` until ``budget_s`` seconds of steps; returns the EMA
    generator and the run's figures."""
    run_dir = Path(args.out) / "runs" / arch
    resume = Run(run_dir).exists()
    run = open_run(run_dir, None if resume else our_config(arch, args.data, args), resume)
    state = run.load_state() if resume else None
    spent = float(state["seconds"]) if state else 0.0
    steps = int(state["step"]) if state else 0

    def over() -> bool:
        return spent >= budget_s

    for report in run_training(run, resume=resume, cancel=over):
        spent, steps = report.seconds, report.step
    state = run.load_state()
    assert state is not None
    cfg = get_arch(arch).config(**state["model_config"])
    module = build(arch, cfg)
    module.load_state_dict(state["G_ema"])
    batch = run.read_config().batch
    figures = {
        "steps": steps,
        "images_seen": steps * batch,
        "train_seconds": round(spent, 1),
        "images_per_s": round(steps * batch / spent, 2) if spent else 0.0,
        "parameters": sum(v.numel() for k in ("G", "D") for v in state[k].values()),
        "loss": run.read_config().loss,
    }
    return module.eval().requires_grad_(False), figures


def _dcgan_init(m: nn.Module) -> None:
    """pytorch/examples' weights_init: N(0, 0.02) convs, N(1, 0.02) batch-norm scales."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def train_dcgan(
    images: np.ndarray, args: argparse.Namespace, budget_s: float
) -> tuple[nn.Module, dict]:
    """The textbook loop, resumable from ``OUT/runs/dcgan/state.pt``."""
    torch.manual_seed(args.seed)
    g, d = dcgan(DCGAN_WIDTH)
    g.apply(_dcgan_init)
    d.apply(_dcgan_init)
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    path = Path(args.out) / "runs" / "dcgan" / "state.pt"
    step, spent = 0, 0.0
    if path.is_file():
        s = torch.load(path, map_location="cpu", weights_only=True)
        g.load_state_dict(s["G"])
        d.load_state_dict(s["D"])
        opt_g.load_state_dict(s["opt_g"])
        opt_d.load_state_dict(s["opt_d"])
        step, spent = int(s["step"]), float(s["seconds"])

    def save() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"G": g.state_dict(), "D": d.state_dict(), "opt_g": opt_g.state_dict()}
        state.update({"opt_d": opt_d.state_dict(), "step": step, "seconds": spent})
        torch.save(state, path)

    bce = nn.BCEWithLogitsLoss()  # the textbook's Sigmoid + BCELoss, in one stable op
    per_epoch = max(1, len(images) // DCGAN_BATCH)
    last_save = time.perf_counter()
    while spent < budget_s:
        epoch, i = divmod(step, per_epoch)
        order = np.random.default_rng(args.seed * 7919 + epoch).permutation(len(images))
        gen = step_generator(args.seed, step)
        t0 = time.perf_counter()
        real = to_tensor(images[order[i * DCGAN_BATCH : (i + 1) * DCGAN_BATCH]])
        n = real.shape[0]
        ones, zeros = torch.ones(n, 1), torch.zeros(n, 1)
        fake = g(torch.randn(n, DCGAN_Z, 1, 1, generator=gen))
        loss_d = bce(d(real), ones) + bce(d(fake.detach()), zeros)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = bce(d(fake), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        spent += time.perf_counter() - t0
        step += 1
        if time.perf_counter() - last_save > 300:
            save()
            last_save = time.perf_counter()
    save()
    figures = {
        "steps": step,
        "images_seen": step * DCGAN_BATCH,
        "train_seconds": round(spent, 1),
        "images_per_s": round(step * DCGAN_BATCH / spent, 2) if spent else 0.0,
        "parameters": params(g, d),
        "loss": "textbook DCGAN (BCE)",
    }
    return g, figures


@torch.no_grad()
def dcgan_samples(g: nn.Module, n: int, seed: int) -> np.ndarray:
    """uint8 samples, drawn as pytorch/examples draws its sheets (batch-norm in training
    mode, batches of 64)."""
    g.train()
    z = seeded_normal(n, DCGAN_Z, seed)
    return np.concatenate([to_uint8(g(z[i : i + 64, :, None, None])) for i in range(0, n, 64)])


def speed(args: argparse.Namespace, data: FolderData) -> dict[str, Any]:
    """Images/s of the training step of each contestant (median of ``args.speed``
    steps after two warm-up steps), on the same images."""
    out: dict[str, Any] = {}
    for arch in ("stylegan", "fastgan"):
        # The model a new run gets here (open_run fills in the same device defaults).
        cfg = with_device_defaults(our_config(arch, args.data, args))
        trainer = GANTrainer(cfg, data, torch.device("cpu"))
        times = []
        for step in range(args.speed + 2):
            t0 = time.perf_counter()
            trainer.train_step(step, step_generator(0, step))
            times.append(time.perf_counter() - t0)
        t = statistics.median(times[2:])
        out[arch] = {
            "images_per_s": round(cfg.batch / t, 2),
            "ms_per_image": round(1000 * t / cfg.batch, 3),
            "parameters_g_d": params(trainer.G, trainer.D),
            "channel_base": trainer.gcfg.channel_base,
            "loss": cfg.loss,
        }
        print(f"{arch}: {json.dumps(out[arch])}", file=sys.stderr)
    g, d = dcgan(DCGAN_WIDTH)
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    real = to_tensor(data.images[:DCGAN_BATCH])
    n = real.shape[0]
    times = []
    for _ in range(args.speed + 2):
        t0 = time.perf_counter()
        fake = g(torch.randn(n, DCGAN_Z, 1, 1))
        loss_d = bce(d(real), torch.ones(n, 1)) + bce(d(fake.detach()), torch.zeros(n, 1))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = bce(d(fake), torch.ones(n, 1))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        times.append(time.perf_counter() - t0)
    t = statistics.median(times[2:])
    out["dcgan"] = {
        "images_per_s": round(n / t, 2),
        "ms_per_image": round(1000 * t / n, 3),
        "parameters_g_d": params(g, d),
        "batch": n,
    }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="bench/results/budget")
    ap.add_argument("--data", default=DEFAULT_DATA, help="folder of training images")
    ap.add_argument("--minutes", type=float, default=45.0, help="training time per contestant")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default=",".join(CONTESTANTS), help="comma-separated contestants")
    ap.add_argument("--samples", type=int, default=2000, help="samples measured per model")
    ap.add_argument("--batch", type=int, default=32, help="our trainer's batch")
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--features", default="studio-features", help="feature network model")
    ap.add_argument("--speed", type=int, default=0, help="only time this many steps of each")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(names) - set(CONTESTANTS)
    if unknown:
        sys.exit(f"Unknown contestant {sorted(unknown)[0]}; choose from {', '.join(CONTESTANTS)}.")
    if "dcgan" in names and args.resolution != 64:
        sys.exit("The textbook DCGAN draws 64 × 64 images; leave it out at other sizes.")
    data = load_folder(args.data, args.resolution, split="all", holdout=0.0)
    if args.speed:
        result = {"threads": args.threads, "data": args.data, "speed": speed(args, data)}
        print(json.dumps(result, indent=2))
        return
    net = installed_features("cpu", args.features)
    if net is None:
        sys.exit(f"The feature network {args.features} is not installed.")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    budget_s = args.minutes * 60
    result: dict[str, Any] = {
        "data": args.data,
        "images": len(data),
        "resolution": args.resolution,
        "minutes_each": args.minutes,
        "threads": args.threads,
        "samples": args.samples,
        "features": str(net.meta.get("label", "studio features")),
        "contestants": {},
    }
    for name in names:
        if name == "dcgan":
            g, figures = train_dcgan(data.images, args, budget_s)
            fake = dcgan_samples(g, args.samples, args.seed)
        else:
            module, figures = train_ours(name, args, budget_s)
            model = LoadedModel(module, name, "gan", {}, out / name)
            fake = generate_images(model, GenerateRequest(args.samples, args.seed))
        report = compare(net, data.images, fake)
        figures.update(
            {
                "studio_fid": round(report.fid, 3),
                "studio_kid": round(report.kid, 5),
                "studio_precision": round(report.precision, 4),
                "studio_recall": round(report.recall, 4),
            }
        )
        sheet = out / f"sheet-{name}.png"
        Image.fromarray(contact_sheet(list(fake[:SHEET]), columns=8, gap=2)).save(sheet)
        figures["sheet"] = str(sheet)
        result["contestants"][name] = figures
        (out / "budget.json").write_text(json.dumps(result, indent=2))
        print(f"{name}: {json.dumps(figures)}", file=sys.stderr)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
