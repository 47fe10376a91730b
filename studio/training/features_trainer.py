"""Training the "studio features" classifier (see ``studio.models.features``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from studio.imaging.grid import contact_sheet
from studio.models.features import FeatureNet, FeaturesConfig
from studio.training.augment import Draw, color, random_flip, translation
from studio.training.dataset import to_tensor, to_uint8
from studio.training.loop import SingleModelTrainer, sync_gradients
from studio.training.run import RunError, make_optimizer


class FeaturesTrainer(SingleModelTrainer):
    """Cross-entropy over the folder's classes, with flips, shifts and colour jitter."""

    model: FeatureNet

    def setup(self) -> None:
        cfg, data, device = self.cfg, self.data, self.device
        if data.labels is None or len(data.classes) < 2:
            raise RunError(
                "Training the feature network needs images sorted into at least two "
                "class subfolders."
            )
        fields = {**cfg.model, "num_classes": len(data.classes)}
        self.fcfg = FeaturesConfig(**fields)
        self.model = FeatureNet(self.fcfg).to(device)
        self.opt = make_optimizer(
            self.model.parameters(), cfg.optimizer, cfg.learning_rate, (0.9, 0.999)
        )
        pick = np.linspace(0, len(data) - 1, 32).astype(int)
        self.preview_x = to_tensor(data.images[pick]).to(device)
        self.preview_y = torch.from_numpy(data.labels[pick]).to(device)

    def train_step(self, step: int, gen: torch.Generator) -> dict[str, float]:
        self.model.train()
        rng = Draw(gen, self.rank, self.world)
        x = random_flip(self.batch(step), rng)
        x = translation(color(x, rng, 0.5), rng, 0.1)
        y = self.batch_labels(step)
        assert y is not None
        logits = self.model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.1)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        sync_gradients(self.model, self.world)
        self.opt.step()
        acc = float((logits.argmax(1) == y).float().mean())
        return {"loss": float(loss.detach()), "accuracy": acc}

    @torch.no_grad()
    def _preview_accuracy(self) -> float:
        self.model.eval()
        return float((self.model(self.preview_x).argmax(1) == self.preview_y).float().mean())

    def preview(self) -> np.ndarray:
        return contact_sheet(list(to_uint8(self.preview_x)), columns=8, gap=2)

    def metrics(self) -> dict[str, float]:
        return {"preview_accuracy": round(self._preview_accuracy(), 4)}

    @property
    def model_config(self) -> dict[str, Any]:
        return dataclasses.asdict(self.fcfg)
