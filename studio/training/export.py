"""Turn a training run into a model file the registry lists, with measured figures."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import torch

from studio.models.catalog import user_model_dir
from studio.models.checkpoint import metadata_for, save_checkpoint
from studio.models.features import FeatureNet, FeaturesConfig
from studio.models.registry import build, get_arch
from studio.models.vae import ConvVAE, VAEConfig
from studio.pipelines.directions import DEFAULT_K
from studio.training.dataset import DatasetError, load_folder
from studio.training.finetune import DISC_PREFIX, lineage
from studio.training.gan_trainer import pairwise_diversity
from studio.training.run import Run, RunError, TrainConfig
from studio.training.vae_trainer import psnr

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ExportError(ValueError):
    """The run cannot be exported; the message is for people."""


def data_info(folder: str) -> dict[str, Any]:
    """Provenance of a training folder: its DATASET.json, or what we can tell."""
    p = Path(folder) / "DATASET.json"
    if p.is_file():
        try:
            info = json.loads(p.read_text())
            if isinstance(info, dict):
                return info
        except json.JSONDecodeError:
            pass
    return {"name": Path(folder).name, "source": "the user's own folder", "licence": "the user's"}


def lineage_now(cfg: TrainConfig) -> dict[str, Any]:
    """For a run from before lineage was kept at its start: the parent as it is now, or
    just its name if it is gone or unusable since."""
    try:
        return lineage(cfg.init_from, cfg.kind)
    except ValueError:
        return {"model": cfg.init_from}


def _module_from_state(cfg: TrainConfig, state: dict[str, Any]) -> torch.nn.Module:
    module: torch.nn.Module
    # States from before the config was saved with them fall back to the run's settings.
    if cfg.kind == "gan":
        fields = state.get("model_config") or dict(cfg.model)
        arch = str(state.get("arch") or cfg.arch or "stylegan")
        module = build(arch, get_arch(arch).config(**fields))
        module.load_state_dict(state["G_ema"])
    elif cfg.kind == "features":
        module = FeatureNet(FeaturesConfig(**state["model_config"]))
        module.load_state_dict(state["model"])
    else:
        fields = state.get("model_config") or {"beta": cfg.beta, **cfg.model}
        module = ConvVAE(VAEConfig(**fields))
        module.load_state_dict(state["model"])
    return module.eval().requires_grad_(False)


def gan_quality(cfg: TrainConfig, module: Any, info: dict[str, Any]) -> dict[str, Any]:
    """Studio-feature FID, KID, precision and recall of a generator against its whole
    training folder, and for a conditional model its class match; nothing when the
    feature network is not installed or the folder is gone. ``info``: the model file's
    class names and counts, which draw the classes as in training. With too few images
    for FID to mean much, ``studio_fid_warning`` says so in words."""
    from studio.models.checkpoint import LoadedModel
    from studio.pipelines.metrics import evaluate_model, installed_features, labels_for_model

    net = installed_features()
    if net is None:
        return {}
    try:
        folder = load_folder(cfg.data, module.resolution, split="all", holdout=0)
    except DatasetError:
        return {}
    model = LoadedModel(module, module.arch, "gan", info, Path(cfg.data))
    real_labels = labels_for_model(model, folder.classes, folder.labels)
    report = evaluate_model(model, net, folder.images, real_labels=real_labels)
    figures: dict[str, Any] = {
        "studio_fid": round(report.fid, 4),
        "studio_kid": round(report.kid, 5),
        "studio_precision": round(report.precision, 4),
        "studio_recall": round(report.recall, 4),
        "studio_real_images": report.real_images,
    }
    if report.fid_warning:  # kept with the figure, so whoever reads it is told
        figures["studio_fid_warning"] = report.fid_warning
    if report.class_match is not None and report.real_class_match is not None:
        figures["studio_class_match"] = round(report.class_match, 4)
        figures["studio_real_class_match"] = round(report.real_class_match, 4)
    return figures


@torch.no_grad()
def measure(cfg: TrainConfig, module: Any, info: dict[str, Any] | None = None) -> dict[str, Any]:
    """Quality figures stored in the checkpoint (measured now, on the CPU); ``info``:
    the model file's other fields (a GAN's classes)."""
    figures: dict[str, Any] = {}
    if cfg.kind == "features":
        try:
            held = load_folder(cfg.data, module.resolution, split="holdout", holdout=cfg.holdout)
        except DatasetError:
            return figures
        from studio.training.dataset import to_tensor

        assert held.labels is not None
        pred = torch.cat(
            [
                module(to_tensor(held.images[i : i + 128])).argmax(1)
                for i in range(0, len(held), 128)
            ]
        )
        figures["holdout_accuracy"] = round(float((pred.numpy() == held.labels).mean()), 4)
        figures["holdout_images"] = len(held)
    elif cfg.kind == "vae":
        try:
            held = load_folder(cfg.data, module.resolution, split="holdout", holdout=cfg.holdout)
        except DatasetError:
            return figures
        from studio.training.dataset import to_tensor

        scores = []
        for start in range(0, len(held), 64):
            x = to_tensor(held.images[start : start + 64])
            scores.append(psnr(module.decode(module.encode(x)), x))  # type: ignore[operator]
        figures["holdout_psnr_db"] = round(float(torch.cat(scores).mean()), 2)
        figures["holdout_images"] = len(held)
    else:
        classes = module.cfg.num_classes
        labels = torch.arange(64) % classes if classes else None
        samples = module.sample(64, 0, labels=labels)
        figures["sample_diversity"] = round(pairwise_diversity(samples), 4)
        flat = samples.flatten(1)
        d = torch.cdist(flat, flat) / flat.shape[1] ** 0.5
        d.fill_diagonal_(float("inf"))
        figures["min_pair_distance"] = round(float(d.min()), 4)
        figures.update(gan_quality(cfg, module, info or {}))
    return figures


@torch.no_grad()
def fit_vae_latents(cfg: TrainConfig, module: Any) -> dict[str, Any]:
    """Fit the VAE's sampling Gaussian to its encoded training set, and return the
    principal directions of those codes for its latent sliders."""
    from studio.pipelines.directions import pca
    from studio.training.dataset import to_tensor

    data = load_folder(cfg.data, module.resolution, split="train", holdout=cfg.holdout)
    means, variances = [], []
    for i in range(0, len(data), 128):
        mu, logvar = module.encode_stats(to_tensor(data.images[i : i + 128]))
        means.append(mu.double())
        variances.append(logvar.double().exp())
    mu = torch.cat(means)
    # The aggregate posterior's covariance: spread of the means plus the mean variance.
    cov = torch.cov(mu.T) + torch.diag(torch.cat(variances).mean(0))
    scale = torch.linalg.cholesky(cov + 1e-6 * torch.eye(cov.shape[0], dtype=cov.dtype))
    module.set_prior(mu.mean(0).float(), scale.float())
    dirs = pca(mu.numpy(), DEFAULT_K, "z")
    return {
        "mean": dirs.mean.round(5).tolist(),
        "components": dirs.components.round(5).tolist(),
        "stds": dirs.stds.round(5).tolist(),
        "source": f"PCA of {len(data)} encoded training images",
        "sampling": "a Gaussian fitted to the encoded training images",
    }


def export_run(
    run_dir: str | Path,
    name: str,
    out: str | Path | None = None,
    half: bool = True,
    overwrite: bool = False,
) -> tuple[Path, dict[str, Any]]:
    """Write ``run_dir``'s latest weights as ``NAME.safetensors``; returns (path, metadata).

    A model file of that name already in the folder is refused unless ``overwrite``
    (checked first, so a refusal costs nothing and changes nothing).
    """
    if not NAME_RE.match(name):
        raise ExportError(
            "A model name uses letters, digits, '-', '_' or '.', starts with a letter or "
            "digit, and is at most 64 characters."
        )
    folder = Path(out) if out else user_model_dir()
    target = folder / f"{name}.safetensors"
    if not overwrite and (target.exists() or target.is_symlink()):
        raise ExportError(
            f"A model named {name} already exists in {folder}; choose another --name, "
            "or add --overwrite to replace it."
        )
    run = Run(run_dir)
    try:
        cfg = run.read_config()
        state = run.load_state()
    except RunError as exc:
        raise ExportError(str(exc)) from None
    if state is None:
        raise ExportError(f"{run_dir} has no saved training state yet.")
    module = _module_from_state(cfg, state)
    log = run.read_log()
    speeds = [r["images_per_s"] for r in log if r.get("images_per_s")]
    extra: dict[str, Any] = {}
    extras: dict[str, torch.Tensor] = {}
    if cfg.kind == "vae":
        extra["directions"] = fit_vae_latents(cfg, module)
    elif cfg.kind == "features":
        extra["classes"] = list(state.get("classes") or [])
        extra["label"] = "studio features"
    else:
        # The discriminator travels with the generator so fine-tuning can start from it.
        extras = {DISC_PREFIX + k: v for k, v in state["D"].items()}
        if state.get("classes"):
            extra["classes"] = list(state["classes"])
            if state.get("class_counts"):  # runs saved before counts were kept lack them
                extra["class_counts"] = [int(c) for c in state["class_counts"]]
    figures = measure(cfg, module, extra)
    if speeds:
        figures["train_images_per_s"] = round(sorted(speeds)[len(speeds) // 2], 2)
    import platform

    training: dict[str, Any] = {
        "command": " ; then ".join([cfg.command, *cfg.resumed]),
        "steps": int(state["step"]),
        "batch": cfg.batch,
        "seconds": round(float(state.get("seconds", 0.0)), 1),
        "device": state.get("device") or f"{cfg.device} ({platform.machine()})",
        "torch": torch.__version__,
    }
    if cfg.init_from:
        training["fine_tuned_from"] = cfg.init_lineage or lineage_now(cfg)
    meta = metadata_for(
        module,
        name=name,
        data={**data_info(cfg.data), "holdout_fraction": cfg.holdout},
        training=training,
        figures=figures,
        **extra,
    )
    try:
        path = save_checkpoint(module, target, meta, half=half, extras=extras)
    except OSError as exc:
        raise ExportError(
            f"Could not write the model to {folder}: {exc.strerror or exc}."
        ) from None
    return path, meta
