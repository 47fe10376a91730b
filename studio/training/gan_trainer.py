"""GAN training: non-saturating + lazy R1 or hinge loss, DiffAugment (fixed, by set
size, or adaptive), style mixing, EMA, fine-tuning with FreezeD, class conditioning,
an optional coverage (IMLE) loss, an optional second discriminator on our feature
network, mixed precision (CUDA, or bf16 on the CPU), and data parallelism over
processes."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from studio.models.fastgan import RECON_WEIGHT, FastDiscriminator, FastGANConfig, FastGenerator
from studio.models.gan import (
    Discriminator,
    GANConfig,
    StyleGenerator,
    load_unconditional,
    with_mapping_lr,
)
from studio.training.augment import (
    AdaptiveStrength,
    Draw,
    diff_augment,
    random_flip,
    strength_for_set_size,
)
from studio.training.coverage import Coverage, coverage_loss
from studio.training.dataset import to_tensor, to_uint8
from studio.training.feature_d import FeatureDiscriminator, require_features
from studio.training.finetune import load_start_weights
from studio.training.loop import (
    Trainer,
    preview_grid,
    set_learning_rate,
    sync_buffers,
    sync_gradients,
)
from studio.training.run import FINE_TUNE_FIELDS, TrainConfig, make_optimizer
from studio.training.watch import DiversityProbe, collapse_warning

PREVIEW_SEED = 12345
PREVIEW_COUNT = 32


def pairwise_diversity(images: torch.Tensor) -> float:
    """Mean pairwise RMS distance between images (in [-1, 1] units): low means collapse."""
    flat = images.flatten(1).float()
    d = torch.cdist(flat, flat) / flat.shape[1] ** 0.5
    n = flat.shape[0]
    return float(d.sum() / (n * (n - 1)))


def autocast_dtype(cfg: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The reduced precision G and D run in on ``device``, or None for full precision.

    Weights, optimizer state, the R1 penalty and the EMA stay in fp32 either way."""
    if device.type == "cuda" and cfg.amp:
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu" and cfg.cpu_bf16:
        return torch.bfloat16
    return None


class GANTrainer(Trainer):
    """Trains a :class:`StyleGenerator` against a :class:`Discriminator` (or, with
    ``arch="fastgan"``, a :class:`FastGenerator` against a :class:`FastDiscriminator`,
    whose reconstruction loss joins D's)."""

    gcfg: GANConfig
    G: StyleGenerator
    D: Discriminator | FastDiscriminator

    def setup(self) -> None:
        cfg, data, device = self.cfg, self.data, self.device
        fields = dict(cfg.model)
        start = load_start_weights(cfg.init_from, "gan") if cfg.init_from else None
        if start is not None:
            fields = {**start.config, "num_classes": fields.get("num_classes", 0)}
            # A fine-tune keeps the model's shape, but may learn its mapping faster.
            fields.update({k: v for k, v in cfg.model.items() if k in FINE_TUNE_FIELDS})
        if cfg.conditional:
            if not data.classes:
                raise ValueError(
                    "Class-conditional training needs every image in a subfolder "
                    "named after its class, and at least two classes."
                )
            fields["num_classes"] = len(data.classes)
        start_classes = start.config.get("num_classes", 0) if start is not None else 0
        # An unconditional model can grow classes (a warm start); other changes cannot.
        widen = start is not None and not start_classes and fields.get("num_classes", 0) > 0
        if start is not None and not widen and start_classes != fields.get("num_classes", 0):
            raise ValueError(
                f"{start.name} was trained with {start_classes} classes; fine-tuning keeps "
                "the classes of the model it starts from (only an unconditional model can "
                "gain classes)."
            )
        self.arch = self._arch(start)
        if self.arch == "fastgan":
            self.gcfg = FastGANConfig(**fields)
            self.G = FastGenerator(self.gcfg).to(device)
            self.D = FastDiscriminator(self.gcfg).to(device)
        else:
            self.gcfg = GANConfig(**fields)
            self.G = StyleGenerator(self.gcfg).to(device)
            self.D = Discriminator(self.gcfg).to(device)
        if start is not None:
            was = float(start.config.get("mapping_lr_mult", GANConfig.mapping_lr_mult))
            start.weights = with_mapping_lr(start.weights, was, self.gcfg.mapping_lr_mult)
            if widen:
                # A FastDiscriminator has the same projection layer for the classes.
                disc: Any = self.D
                load_unconditional(self.G, disc, start.weights, start.discriminator)
            else:
                start.apply(self.G, self.D)
        self.frozen = [p for m in self.D.lower_layers(cfg.freeze_d) for p in m.parameters()]
        for p in self.frozen:
            p.requires_grad_(False)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        lr = cfg.learning_rate
        # Lazy R1 runs every r1_every steps; adjust D's Adam as StyleGAN2 does.
        ratio = cfg.r1_every / (cfg.r1_every + 1) if cfg.loss == "nonsat" else 1.0
        self.d_lr_ratio = ratio
        self.opt_g = make_optimizer(self.G.parameters(), cfg.optimizer, lr)
        trainable_d = [p for p in self.D.parameters() if p.requires_grad]
        self.opt_d = make_optimizer(trainable_d, cfg.optimizer, lr * ratio, (0.0, 0.99**ratio))
        strength = cfg.augment_strength
        if strength < 0:
            strength = strength_for_set_size(len(data))
        self.ada = AdaptiveStrength(0.0 if cfg.ada else strength, cfg.ada_target)
        self.amp_dtype = autocast_dtype(cfg, device)
        # fp16 needs its gradients scaled to stay representable; bf16 has fp32's range.
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        self.coverage = (
            Coverage(data.images, self.gcfg.z_dim, cfg.coverage_every, cfg.seed)
            if cfg.coverage > 0
            else None
        )
        self.FD: FeatureDiscriminator | None = None
        if cfg.feature_d > 0:
            self.FD = self._feature_discriminator()
            self.opt_fd = make_optimizer(self.FD.parameters(), cfg.optimizer, lr)
        self.preview_z = self.G.sample_latents(PREVIEW_COUNT, PREVIEW_SEED).to(device)
        self.probe = DiversityProbe(device)
        pick = np.linspace(0, len(data) - 1, min(PREVIEW_COUNT, len(data))).astype(int)
        self.data_diversity = self.probe(to_tensor(data.images[pick]).to(device))
        self.preview_labels = (
            torch.arange(PREVIEW_COUNT, device=device) % self.gcfg.num_classes
            if self.gcfg.num_classes
            else None
        )

    def _arch(self, start: Any) -> str:
        """The architecture to train: a fine-tune's is its model's."""
        asked = self.cfg.arch or "stylegan"
        if start is None:
            return asked
        arch = start.arch or "stylegan"
        if self.cfg.arch and arch != asked:
            raise ValueError(f"{start.name} is a {arch} model; it cannot start a {asked} run.")
        return arch

    def _judge_real(
        self, x: torch.Tensor, labels: torch.Tensor | None, rng: Draw
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's logits on real images, and FastGAN's reconstruction loss (else None)."""
        if isinstance(self.D, FastDiscriminator):
            # Drawn only for FastGAN, so a style GAN's random stream is as it was.
            part = int(torch.randint(0, 4, (), generator=rng.gen))
            return self.D.judge_and_reconstruct(x, part, labels)
        return self.D(x, labels), None

    def _feature_discriminator(self) -> FeatureDiscriminator:
        net = require_features(self.cfg.feature_net, self.device)
        return FeatureDiscriminator(net.module, self.gcfg.num_classes).to(self.device)

    @property
    def strength(self) -> float:
        return self.ada.p

    def _autocast(self) -> Any:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _augment(self, x: torch.Tensor, rng: Draw) -> torch.Tensor:
        return diff_augment(x, self.cfg.augment, rng, self.strength)

    def _fake_labels(self, rng: Draw, n: int) -> torch.Tensor | None:
        if not self.gcfg.num_classes or self.data.labels is None:
            return None
        # Labels drawn like the data's, so rare classes stay rare.
        pick = rng.integers(len(self.data), n).numpy()
        return torch.from_numpy(self.data.labels[pick]).to(self.device)

    def _fake(self, rng: Draw, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        zd = self.gcfg.z_dim
        z = rng.normal(n, zd, device=self.device)
        labels = self._fake_labels(rng, n)
        mix_z, cutoff = None, 0
        if rng.scalar() < self.cfg.style_mix:
            mix_z = rng.normal(n, zd, device=self.device)
            cutoff = int(torch.randint(1, self.G.num_ws, (), generator=rng.gen))
        with self._autocast():
            return self.G(z, mix_z, cutoff, labels), labels

    def _d_loss(self, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
        if self.cfg.loss == "hinge":
            return F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        return F.softplus(d_fake).mean() + F.softplus(-d_real).mean()

    def _g_loss(self, d_fake: torch.Tensor) -> torch.Tensor:
        if self.cfg.loss == "hinge":
            return -d_fake.mean()
        return F.softplus(-d_fake).mean()

    def _step(self, loss: torch.Tensor, module: torch.nn.Module, opt: Any) -> None:
        opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(opt)
        sync_gradients(module, self.world)
        self.scaler.step(opt)
        self.scaler.update()

    def train_step(self, step: int, gen: torch.Generator) -> dict[str, float]:
        cfg = self.cfg
        rng = Draw(gen, self.rank, self.world)
        plain = self.batch(step)
        real = random_flip(plain, rng)
        real_labels = self.batch_labels(step)
        n = real.shape[0]

        # Discriminator: real up, fake down.
        self.G.requires_grad_(False)
        for p in self.D.parameters():
            p.requires_grad_(True)
        for p in self.frozen:
            p.requires_grad_(False)
        with torch.no_grad():
            fake, fake_labels = self._fake(rng, n)
        with self._autocast():
            d_real, recon = self._judge_real(self._augment(real, rng), real_labels, rng)
            d_fake = self.D(self._augment(fake.float(), rng), fake_labels)
            loss_d = self._d_loss(d_real.float(), d_fake.float())
        extra: dict[str, float] = {}
        if recon is None:
            self._step(loss_d, self.D, self.opt_d)
        else:
            self._step(loss_d + RECON_WEIGHT * recon, self.D, self.opt_d)
            extra["recon"] = float(recon.detach())
        if self.FD is not None:
            with self._autocast():
                fd_real = self.FD(self._augment(real, rng), real_labels)
                fd_fake = self.FD(self._augment(fake.float(), rng), fake_labels)
                loss_fd = self._d_loss(fd_real.float(), fd_fake.float())
            self._step(loss_fd, self.FD, self.opt_fd)
            extra["loss_fd"] = float(loss_fd.detach())

        r1 = 0.0
        if cfg.loss == "nonsat" and cfg.r1_gamma > 0 and step % cfg.r1_every == 0:
            # R1 in full precision: its double backward is fragile in fp16.
            real_r1 = self._augment(real, rng).detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(
                self.D(real_r1, real_labels).sum(), real_r1, create_graph=True
            )
            penalty = grad.square().sum(dim=(1, 2, 3)).mean()
            self._step(penalty * (cfg.r1_gamma / 2) * cfg.r1_every, self.D, self.opt_d)
            r1 = float(penalty.detach())

        # Generator: make D call fakes real.
        self.G.requires_grad_(True)
        self.D.requires_grad_(False)
        fake, fake_labels = self._fake(rng, n)
        with self._autocast():
            loss_g = self._g_loss(self.D(self._augment(fake.float(), rng), fake_labels).float())
        total_g = loss_g  # loss_g itself is logged as our own discriminator's part alone
        if self.FD is not None:
            self.FD.requires_grad_(False)
            with self._autocast():
                fd = self.FD(self._augment(fake.float(), rng), fake_labels).float()
            total_g = total_g + cfg.feature_d * self._g_loss(fd)
            self.FD.requires_grad_(True)
        if self.coverage is not None:
            loss_cov, covered = self._coverage(step, plain)
            total_g = total_g + cfg.coverage * loss_cov
            extra.update(covered)
        self._step(total_g, self.G, self.opt_g)

        sync_buffers(self.G, self.world)
        self._update_ema(step)
        sign = float(torch.sign(d_real.detach().float()).mean())
        if cfg.ada:
            self.ada.update(sign)
        return {
            "loss_d": float(loss_d.detach()),
            "loss_g": float(loss_g.detach()),
            "r1": r1,
            "d_real_sign": sign,
            "augment": round(self.strength, 4),
            **extra,
        }

    def _coverage(self, step: int, plain: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """The coverage loss of this step's images (assigning latents when due)."""
        assert self.coverage is not None
        if self.coverage.due(step):

            def draw(z: torch.Tensor) -> torch.Tensor:
                with self._autocast():
                    return self.G.synthesize(self.G.mapping(z.to(self.device)))

            def real(batch: np.ndarray) -> torch.Tensor:
                return to_tensor(batch).to(self.device)

            self.coverage.refresh(step, draw, real)
        idx = self.order.indices(step, self.rank, self.world)
        with self._autocast():
            drawn = self.G(self.coverage.assigned(idx, self.device))
        loss = coverage_loss(drawn.float(), plain)
        return loss, {"coverage": float(loss.detach()), "coverage_match": self.coverage.match}

    @torch.no_grad()
    def _update_ema(self, step: int) -> None:
        seen = (step + 1) * self.cfg.batch
        half_life = min(self.cfg.ema_kimg * 1000, seen * 0.05) or 1.0
        beta = 0.5 ** (self.cfg.batch / half_life)
        for p_ema, p in zip(self.G_ema.parameters(), self.G.parameters(), strict=True):
            p_ema.lerp_(p.detach(), 1 - beta)
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers(), strict=True):
            b_ema.copy_(b)

    @torch.no_grad()
    def sample_images(self) -> torch.Tensor:
        """The fixed preview batch from the EMA generator."""
        return self.G_ema.decode(self.preview_z, labels=self.preview_labels)

    def preview(self) -> np.ndarray:
        return preview_grid(to_uint8(self.sample_images()))

    def metrics(self) -> dict[str, float]:
        return {
            "diversity": round(self.probe(self.sample_images()), 5),
            "data_diversity": round(self.data_diversity, 5),
        }

    def warning(self, metrics: dict[str, float]) -> str:
        return collapse_warning(metrics["diversity"], metrics["data_diversity"])

    def state_dict(self) -> dict[str, Any]:
        return {
            "arch": self.arch,
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "ada_p": self.ada.p,
            "ada_signs": list(self.ada._signs),
            "scaler": self.scaler.state_dict(),
            "coverage": self.coverage.state_dict() if self.coverage else None,
            "FD": self.FD.state_dict() if self.FD is not None else None,
            "opt_fd": self.opt_fd.state_dict() if self.FD is not None else None,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.G_ema.load_state_dict(state["G_ema"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        set_learning_rate(self.opt_g, self.cfg.learning_rate)
        set_learning_rate(self.opt_d, self.cfg.learning_rate * self.d_lr_ratio)
        self.ada.p = float(state.get("ada_p", self.ada.p))
        self.ada._signs = list(state.get("ada_signs", []))
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        if self.coverage is not None and state.get("coverage"):
            self.coverage.load_state_dict(state["coverage"])
        if self.FD is not None and state.get("FD"):
            # A run that adds the feature discriminator on resume starts its head fresh.
            self.FD.load_state_dict(state["FD"])
            self.opt_fd.load_state_dict(state["opt_fd"])
            set_learning_rate(self.opt_fd, self.cfg.learning_rate)

    @property
    def model_config(self) -> dict[str, Any]:
        return dataclasses.asdict(self.gcfg)

    def export_module(self) -> torch.nn.Module:
        """The module a shipped checkpoint holds: the EMA generator."""
        return self.G_ema
