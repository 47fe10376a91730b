"""Quality metrics between generated samples and a set of real images.

FID and KID compare feature statistics, precision/recall (Kynkäänniemi et al. 2019)
compare the feature manifolds, and an Inception-style score reads the class
predictions. For a class-conditional model, "class match" asks whether each image looks
like its own class: the share whose nearest real images mostly carry that class.
Features come from our own "studio features" network (see ``studio.models.features``),
so every figure is labelled with the network it used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from studio.models.checkpoint import LoadedModel
from studio.pipelines.cancel import CancelToken
from studio.pipelines.sample import (
    GenerateRequest,
    Progress,
    class_weights,
    generate_images,
    num_classes,
)

STUDIO_LABEL = "studio features"
FEATURES_MODEL = "studio-features"  # the registry name of our feature network


def installed_features(
    device: str | torch.device = "cpu", name: str = FEATURES_MODEL
) -> LoadedModel | None:
    """The feature network ``name`` (by default ours) when it is installed and really is
    one, else None."""
    from studio.models.catalog import ModelNotFound, resolve_model
    from studio.models.checkpoint import CheckpointError, load_checkpoint

    try:
        net = load_checkpoint(resolve_model(name), device)
    except (ModelNotFound, CheckpointError):
        return None
    return net if net.kind == "features" else None


def standard_inception(path: str, device: str | torch.device = "cpu") -> LoadedModel:
    """The user's standard FID Inception weights, wrapped like our feature network."""
    from pathlib import Path

    from studio.models.inception import STANDARD_LABEL, load_inception

    net = load_inception(path, device)
    return LoadedModel(net, "inception", "features", {"label": STANDARD_LABEL}, Path(path))


@torch.inference_mode()
def extract(
    net: LoadedModel,
    images: np.ndarray,
    batch: int = 128,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(features (N, D), class probabilities (N, C)) for uint8 (N, H, W, 3) images."""
    module: Any = net.module
    feats, probs = [], []
    for start in range(0, len(images), batch):
        if cancel is not None:
            cancel.check()
        chunk = torch.from_numpy(np.ascontiguousarray(images[start : start + batch]))
        x = chunk.permute(0, 3, 1, 2).float() / 127.5 - 1.0
        f = module.features(x)
        feats.append(f.float().cpu().numpy())
        probs.append(torch.softmax(module.head(f), dim=1).float().cpu().numpy())
        if progress:
            progress(min(1.0, (start + batch) / len(images)))
    return np.concatenate(feats).astype(np.float64), np.concatenate(probs).astype(np.float64)


def _sqrt_trace_product(s1: np.ndarray, s2: np.ndarray) -> float:
    """tr(sqrt(s1 · s2)) for symmetric PSD matrices, via sqrt(s1) s2 sqrt(s1)."""
    vals, vecs = np.linalg.eigh(s1)
    root = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T
    inner = root @ s2 @ root
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0, None)).sum())


def fid(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    value = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2)
    value -= 2 * _sqrt_trace_product(s1, s2)
    return float(max(value, 0.0))


def kid_subset_size(n_a: int, n_b: int, subset_size: int = 500) -> int:
    """The size of KID's subsets for sets of ``n_a`` and ``n_b`` features.

    As in the KID paper (Bińkowski et al. 2018) and torch-fidelity: ``subset_size``, but
    never more than half the smaller set. Subsets as big as the set are all the set
    itself, so their spread is rounding noise (a std of 4e-16), not the estimate's
    uncertainty; at half, two subsets share about half their images and the spread
    shows how much the figure moves with the sample.
    """
    n = min(n_a, n_b)
    if n < 4:  # too few to draw two different pairs from: the whole set, no spread
        return n
    return max(2, min(subset_size, n // 2))


def kid(
    a: np.ndarray, b: np.ndarray, subsets: int = 20, subset_size: int = 500, seed: int = 0
) -> tuple[float, float]:
    """Kernel Inception Distance (unbiased MMD², cubic polynomial kernel): (mean, std)
    over ``subsets`` random subsets (seeded) of :func:`kid_subset_size` each; NaN for
    sets of fewer than 2."""
    rng = np.random.default_rng(seed)
    m = kid_subset_size(len(a), len(b), subset_size)
    if m < 2:
        return float("nan"), float("nan")
    d = a.shape[1]
    values = []
    for _ in range(subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        mmd = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        mmd += (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        mmd -= 2 * kxy.mean()
        values.append(mmd)
    return float(np.mean(values)), float(np.std(values))


# FID fits a Gaussian to each set: a mean and a D×D covariance from N feature vectors.
# With N ≤ D the covariance is singular (rank N − 1) and the figure says more about N
# than about the images. Even above D it is poor: by the Marchenko–Pastur law the
# sample covariance's eigenvalues spread over (1 ± √(D/N))² times the true ones, so at
# N = 2D they range from 0.09× to 2.9×, and FID's bias grows as 1/N (Chong & Forsyth,
# "Effectively Unbiased FID", 2020). 2D is the least at which we report it without a
# word; below, figures from different N cannot be compared.
FID_MIN_PER_DIM = 2


def fid_warning(real: int, fake: int, dim: int) -> str:
    """One line when either set is too small for FID to mean much (see
    ``FID_MIN_PER_DIM``), else ""."""
    need = FID_MIN_PER_DIM * dim
    n = min(real, fake)
    if n >= need:
        return ""
    which = "real" if real <= fake else "generated"
    return (
        f"FID from {n} {which} images is unreliable: it fits a {dim}×{dim} covariance, "
        f"which needs at least {need} images per set to mean much; compare FIDs only at "
        "the same count."
    )


def _radii(x: np.ndarray, k: int) -> np.ndarray:
    d = np.sqrt(np.maximum(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1), 0))
    return np.sort(d, axis=1)[:, k]  # column 0 is the point itself


def _covered(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.maximum(((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1), 0))
    return (d <= radii[None, :]).any(axis=1)


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision (fakes inside the real manifold) and recall (reals inside the
    fake manifold), manifolds being k-nearest-neighbour balls."""
    k = min(k, len(real) - 1, len(fake) - 1)
    precision = _covered(fake, real, _radii(real, k)).mean()
    recall = _covered(real, fake, _radii(fake, k)).mean()
    return float(precision), float(recall)


def inception_style_score(probs: np.ndarray) -> float:
    """exp(E[KL(p(y|x) ‖ p(y))]) over the feature network's classes."""
    p_y = probs.mean(0, keepdims=True)
    kl = (probs * (np.log(probs + 1e-12) - np.log(p_y + 1e-12))).sum(1)
    return float(np.exp(kl.mean()))


@dataclass
class QualityReport:
    """Figures for a model against a folder, with the feature network named."""

    features: str
    fid: float
    kid: float
    kid_std: float
    precision: float
    recall: float
    inception_style_score: float
    real_images: int
    fake_images: int
    kid_subset: int = 0  # images per KID subset (the std is over those subsets)
    fid_warning: str = ""  # set when the sets are too small for FID to mean much
    # Conditional models measured against a folder with their classes: the share of
    # generated images a nearest-neighbour vote puts in their own class, and the same
    # vote on the real images (each left out of its own vote), the most to hope for.
    class_match: float | None = None
    real_class_match: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(
    net: LoadedModel,
    real: np.ndarray,
    fake: np.ndarray,
    label: str = STUDIO_LABEL,
    progress: Callable[[float], None] | None = None,
    cancel: CancelToken | None = None,
    real_labels: np.ndarray | None = None,
    fake_labels: np.ndarray | None = None,
) -> QualityReport:
    """All figures between two uint8 image sets (any sizes; the network resizes); with
    class labels for both sets, the class match too."""
    fr, _ = extract(net, real, cancel=cancel)
    if progress:
        progress(0.5)
    ff, pf = extract(net, fake, cancel=cancel)
    k_mean, k_std = kid(fr, ff)
    p, r = precision_recall(fr[:2000], ff[:2000])
    report = QualityReport(
        label, fid(fr, ff), k_mean, k_std, p, r, inception_style_score(pf), len(real), len(fake)
    )
    report.kid_subset = kid_subset_size(len(fr), len(ff))
    report.fid_warning = fid_warning(len(fr), len(ff), fr.shape[1])
    if real_labels is not None and fake_labels is not None:
        report.class_match = class_match(fr, real_labels, ff, fake_labels)
        report.real_class_match = class_match(fr, real_labels, fr, real_labels, leave_out=True)
    return report


def class_match(
    real: np.ndarray,
    real_labels: np.ndarray,
    query: np.ndarray,
    query_labels: np.ndarray,
    k: int = 5,
    leave_out: bool = False,
) -> float:
    """The share of ``query`` features whose ``k`` nearest ``real`` features (cosine)
    vote, by majority, for the query's own label. ``leave_out``: the queries are the real
    set itself, and each point is left out of its own vote. A real label of -1 (a class
    the model does not have) never matches."""
    a = real / np.maximum(np.linalg.norm(real, axis=1, keepdims=True), 1e-12)
    q = query / np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
    k = max(1, min(k, len(a) - (1 if leave_out else 0)))
    hits = 0
    for start in range(0, len(q), 512):  # in chunks: the full similarity matrix can be big
        sim = q[start : start + 512] @ a.T
        if leave_out:
            rows = np.arange(len(sim))
            sim[rows, start + rows] = -np.inf
        nearest = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        for row, idx in enumerate(nearest):
            votes = real_labels[idx]
            votes = votes[votes >= 0]
            if len(votes):
                values, counts = np.unique(votes, return_counts=True)
                # Ties go to the smallest label: fixed, so the figure is reproducible.
                hits += int(values[counts.argmax()] == query_labels[start + row])
    return hits / max(1, len(q))


def class_shares(n: int, counts: object, classes: int) -> list[int]:
    """``n`` split over ``classes`` in proportion to ``counts`` (largest remainders), or
    in equal shares when ``counts`` is not a list of that many non-negative numbers."""
    weights = class_weights(counts, classes)
    exact = [n * w / sum(weights) for w in weights]
    sizes = [int(e) for e in exact]
    by_remainder = sorted(range(classes), key=lambda c: exact[c] - sizes[c], reverse=True)
    for c in by_remainder[: n - sum(sizes)]:
        sizes[c] += 1
    return sizes


def labels_for_model(
    model: LoadedModel, folder_classes: list[str], folder_labels: np.ndarray | None
) -> np.ndarray | None:
    """A class folder's labels as the model's class indices (-1 where the model lacks the
    folder's class), or None when the model has no classes or shares none of them."""
    names = model.meta.get("classes")
    if not num_classes(model) or folder_labels is None or not isinstance(names, list):
        return None
    index = {str(name): k for k, name in enumerate(names)}
    mapped = np.asarray([index.get(c, -1) for c in folder_classes], dtype=np.int64)
    if (mapped < 0).all():
        return None
    return mapped[folder_labels]


def evaluate_model(
    model: LoadedModel,
    net: LoadedModel,
    real: np.ndarray,
    count: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    real_labels: np.ndarray | None = None,
) -> QualityReport:
    """Generate ``count`` samples (default: as many as real images) and compare. With
    ``real_labels`` (the model's class index of each real image, see
    ``labels_for_model``) a conditional model's class match is measured too."""
    n = count or len(real)
    classes = num_classes(model)
    fake_labels: np.ndarray | None = None
    if classes:
        # A conditional model is judged on all its classes, in the shares its training
        # data had (equal shares if its file does not say).
        sizes = class_shares(n, model.meta.get("class_counts"), classes)
        fake = np.concatenate(
            [
                generate_images(model, GenerateRequest(k, seed + c, label=c), cancel=cancel)
                for c, k in enumerate(sizes)
                if k
            ]
        )
        fake_labels = np.repeat(np.arange(classes), sizes)
    else:
        fake = generate_images(model, GenerateRequest(n, seed), cancel=cancel)
        real_labels = None
    label = str(net.meta.get("label", STUDIO_LABEL))
    return compare(net, real, fake, label, progress, cancel, real_labels, fake_labels)
