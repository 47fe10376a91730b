"""Watching a GAN for mode collapse: how varied its samples are, next to the data.

Diversity is the mean pairwise distance of a fixed batch in a feature space: the
"studio features" network when it is installed, else 16×16 colour thumbnails. The
watch compares samples with a fixed batch of training images measured the same way,
so the figure needs no tuning per data set.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from studio.models.checkpoint import LoadedModel
from studio.pipelines.metrics import installed_features

COLLAPSE_RATIO = 0.4


class DiversityProbe:
    """Mean pairwise feature distance of an image batch (N, 3, H, W) in [-1, 1]."""

    def __init__(self, device: torch.device) -> None:
        # Without the network, pixel thumbnails still show a collapse.
        self.net: LoadedModel | None = installed_features(device)
        self.space = "studio features" if self.net is not None else "16×16 pixels"

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> float:
        if self.net is not None:
            feats = self.net.module.features(images.float())  # type: ignore[operator]
            feats = F.normalize(feats, dim=1)
        else:
            feats = F.adaptive_avg_pool2d(images.float(), 16).flatten(1)
            feats = feats / feats.shape[1] ** 0.5
        d = torch.cdist(feats, feats)
        n = feats.shape[0]
        return float(d.sum() / (n * (n - 1)))


def collapse_warning(diversity: float, data_diversity: float) -> str:
    """A plain-words warning when samples are far less varied than the data, else ""."""
    if data_diversity <= 0 or diversity >= COLLAPSE_RATIO * data_diversity:
        return ""
    share = diversity / data_diversity
    return (
        f"The samples look much alike ({share:.0%} of the variety of your images): the "
        "model may be collapsing to a few pictures (mode collapse). Try more augmentation, "
        "a lower learning rate, or resuming from an earlier checkpoint."
    )
