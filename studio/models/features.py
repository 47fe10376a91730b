"""The "studio features" network: a small image classifier we train ourselves, whose
penultimate layer serves as the feature space for FID/KID and precision/recall.

It stands in for Inception (whose weights cannot be downloaded here). Figures computed
with it are labelled "studio features" everywhere; they rank models, but are not
comparable with published FID numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from studio.models.base import model_device


@dataclass(frozen=True)
class FeaturesConfig:
    """Input size, classes and widths of the feature network."""

    resolution: int = 64
    num_classes: int = 10
    width: int = 32
    feature_dim: int = 256

    def __post_init__(self) -> None:
        if self.num_classes < 2 or self.width < 1 or self.feature_dim < 1:
            raise ValueError("A feature network needs ≥ 2 classes and positive widths.")


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class FeatureNet(nn.Module):
    """Images in [-1, 1] (any size; resized to ``resolution``) → features and logits."""

    arch = "features"
    cfg: FeaturesConfig

    def __init__(self, cfg: FeaturesConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.resolution = cfg.resolution
        self.latent_size = cfg.feature_dim
        w = cfg.width
        self.body = nn.Sequential(
            _block(3, w, 1),
            _block(w, w * 2, 2),
            _block(w * 2, w * 2, 1),
            _block(w * 2, w * 4, 2),
            _block(w * 4, w * 4, 1),
            _block(w * 4, w * 8, 2),
            _block(w * 8, cfg.feature_dim, 2),
        )
        self.dropout = nn.Dropout(0.2)
        self.head = nn.Linear(cfg.feature_dim, cfg.num_classes)

    def _fit(self, images: torch.Tensor) -> torch.Tensor:
        x = images.to(model_device(self))
        if x.shape[-1] != self.resolution or x.shape[-2] != self.resolution:
            x = F.interpolate(
                x,
                size=(self.resolution, self.resolution),
                mode="bilinear",
                antialias=True,
                align_corners=False,
            )
        return x

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """(N, feature_dim) pooled features."""
        return self.body(self._fit(images)).mean(dim=(2, 3))

    def stages(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The feature maps at 1/4, 1/8 and 1/16 of the input size (what is where, before
        pooling forgets it), coarsest last."""
        x = self._fit(images)
        maps = []
        for i, block in enumerate(self.body):
            x = block(x)
            if i >= len(self.body) - 3:
                maps.append(x)
        return maps

    @property
    def stage_channels(self) -> list[int]:
        """Channels of the maps :meth:`stages` returns."""
        return [self.cfg.width * 4, self.cfg.width * 8, self.cfg.feature_dim]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits."""
        return self.head(self.dropout(self.features(images)))
