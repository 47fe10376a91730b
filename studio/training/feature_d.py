"""A second discriminator that judges images in our feature network's space.

Small image sets give a GAN's own discriminator little to learn from, so its signal about
*what* an image shows stays weak. A discriminator head on the frozen features of a network
trained to tell pictures apart ("vision-aided" GAN training, Kumari et al. 2022; Projected
GANs, Sauer et al. 2021) starts from features that already separate things: the generator
is pushed toward images whose features look like the data's. The network is one of ours
(``studio-features`` by default, trained on Openclipart and emoji; nothing is
downloaded), or any feature network trained with ``latent-studio train features``.

Figures measured with the same network (studio-feature FID, class match) flatter a model
trained this way, so judge such a model by its samples too.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from studio.models.checkpoint import LoadedModel
from studio.pipelines.metrics import FEATURES_MODEL, installed_features
from studio.training.run import RunError


def require_features(name: str = FEATURES_MODEL, device: str | torch.device = "cpu") -> LoadedModel:
    """The feature network ``name``, or a plain-words refusal when there is none."""
    net = installed_features(device, name)
    if net is None:
        raise RunError(
            f"The feature discriminator needs the feature network {name}, which is not "
            "installed (or is not a feature network); train one with `latent-studio train "
            "features`, or leave out --feature-d."
        )
    return net


class FeatureDiscriminator(nn.Module):
    """Real/fake logits from the feature maps of a frozen feature network, at three
    scales (so where things are counts, not just which things there are).

    Only the small heads learn; the network stays in eval mode (its batch-norm statistics
    fixed) and passes gradients through to the images, and so to the generator."""

    def __init__(self, net: Any, num_classes: int = 0, width: int = 64) -> None:
        super().__init__()
        # Kept outside the module tree: it is not this head's weights to train or save.
        self._net = [net.eval().requires_grad_(False)]
        self.heads = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(c, width, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(width, 1, 1)
            )
            for c in net.stage_channels
        )
        coarsest = net.stage_channels[-1]
        # Projection conditioning (Miyato & Koyama 2018), as our own discriminator does.
        self.embed = nn.Embedding(num_classes, coarsest) if num_classes else None

    def forward(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        maps = self._net[0].stages(images)
        logits = sum(head(m).mean(dim=(1, 2, 3)) for head, m in zip(self.heads, maps, strict=True))
        assert isinstance(logits, torch.Tensor)
        if self.embed is not None and labels is not None:
            pooled = maps[-1].mean(dim=(2, 3))
            logits = logits + (self.embed(labels) * pooled).sum(1) / pooled.shape[1] ** 0.5
        return logits
