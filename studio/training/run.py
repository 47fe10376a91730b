"""A training run folder: its settings, resumable state, log and previews.

Layout of ``RUN/``: ``run.json`` (settings), ``state.pt`` (weights, optimizers, step:
written atomically, read with ``weights_only=True``), ``log.jsonl`` (one line per logged
step), ``previews/step-NNNNNNN.png`` (fixed-seed sample grids). A kill during an atomic
write leaves a ``.NAME.*.tmp`` file; :meth:`Run.sweep_temporaries` removes them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from studio.models.checkpoint import atomic_write

RUN_FILE = "run.json"
STATE_FILE = "state.pt"
LOG_FILE = "log.jsonl"


class RunError(ValueError):
    """The run folder cannot be used as asked; the message is for people."""


# A fine-tune keeps its model's shape: of the model settings, it takes only these.
FINE_TUNE_FIELDS = ("mapping_lr_mult",)


@dataclass
class TrainConfig:
    """Everything a training run needs; saved in ``run.json`` so ``--resume`` repeats it."""

    kind: str  # "gan" or "vae"
    data: str
    steps: int = 20000
    epochs: float = 0.0  # > 0: train this many passes over the data instead of ``steps``
    batch: int = 32
    lr: float = 0.0  # 0 → the kind's default
    optimizer: str = "adam"  # adam, rmsprop or sgd
    seed: int = 0
    checkpoint_every: int = 500
    # Also checkpoint after this many minutes of training (pauses do not count), so a
    # kill never loses more than that; 0 = by steps only.
    checkpoint_minutes: float = 5.0
    preview_every: int = 500
    log_every: int = 10
    holdout: float = 0.1
    policy: str = "pad"  # how images become square: pad, crop or stretch
    background: tuple[int, int, int] = (255, 255, 255)  # transparency is flattened on it
    augment: str = "color,translation,cutout"
    augment_strength: float = -1.0  # < 0: chosen by the size of the set
    ada: bool = False  # adapt the strength to how much D overfits (GAN)
    ada_target: float = 0.6
    loss: str = "nonsat"  # GAN: nonsat (with R1) or hinge
    r1_gamma: float = 1.0
    r1_every: int = 16
    style_mix: float = 0.5
    coverage: float = 0.0  # GAN: weight of the coverage (IMLE) loss; 0 = off
    coverage_every: int = 500  # GAN: steps between assignments of latents to images
    feature_d: float = 0.0  # GAN: weight of a second discriminator on a feature net
    feature_net: str = "studio-features"  # GAN: the feature network it judges with
    ema_kimg: float = 10.0
    beta: float = 1.0
    kl_warmup: int = 2000
    init_from: str = ""  # fine-tune: a model name or file to start from
    # What ``init_from`` was when the run began (read then: the file may change later).
    init_lineage: dict[str, Any] = field(default_factory=dict)
    freeze_d: int = 0  # fine-tune: keep this many lower D layers fixed
    conditional: bool = False  # GAN: subfolder names become classes
    amp: bool = True  # GAN: mixed precision on CUDA (bf16 where supported, else fp16)
    cpu_bf16: bool = False  # GAN: bf16 autocast on the CPU (pays off with native bf16)
    device: str = "auto"
    # GAN: the registered architecture ("" = stylegan, as runs before the choice)
    arch: str = ""
    model: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    resumed: list[str] = field(default_factory=list)  # the commands that continued it

    def __post_init__(self) -> None:
        if self.kind not in ("gan", "vae", "features"):
            raise RunError(f"Unknown model kind {self.kind!r}; use gan, vae or features.")
        if self.steps < 1 or self.batch < 1:
            raise RunError("Steps and batch size must be at least 1.")
        if self.checkpoint_every < 1:
            raise RunError("The checkpoint interval must be at least 1 step.")
        if not 0 <= self.checkpoint_minutes < math.inf:
            raise RunError("The checkpoint time must be 0 (off) or a number of minutes.")
        if not 0 <= self.holdout < 1:
            raise RunError("The held-out fraction must be in [0, 1).")
        if self.loss not in ("nonsat", "hinge"):
            raise RunError(f"Unknown GAN loss {self.loss!r}; use nonsat or hinge.")
        if self.optimizer not in ("adam", "rmsprop", "sgd"):
            raise RunError(f"Unknown optimizer {self.optimizer!r}; use adam, rmsprop or sgd.")
        if self.policy not in ("pad", "crop", "stretch"):
            raise RunError(f"Unknown resize policy {self.policy!r}; use pad, crop or stretch.")
        if self.conditional and self.kind != "gan":
            raise RunError("Class-conditional training is available for GANs.")
        if self.coverage < 0 or self.coverage_every < 1:
            raise RunError("The coverage weight must be ≥ 0 and its interval ≥ 1 step.")
        if self.coverage and (self.kind != "gan" or self.conditional):
            raise RunError("The coverage loss is available for unconditional GANs.")
        if self.feature_d < 0 or (self.feature_d and self.kind != "gan"):
            raise RunError("The feature discriminator's weight must be ≥ 0, and it is for GANs.")
        self.background = tuple(int(c) for c in self.background)  # type: ignore[assignment]
        self.check_model_fields()

    def check_model_fields(self) -> None:
        """Refuse model settings the architecture cannot take, before anything is written
        (for a fine-tune, the settings it takes: :data:`FINE_TUNE_FIELDS`)."""
        from studio.models.registry import config_from_dict, get_arch

        default = {"gan": "stylegan", "vae": "vae", "features": "features"}[self.kind]
        try:
            arch = get_arch(self.arch or default)
        except KeyError as exc:
            raise RunError(str(exc.args[0])) from None
        if arch.kind != self.kind:
            raise RunError(f"{arch.name} is not a {self.kind.upper()} architecture.")
        fields = dict(self.model)
        if self.init_from:
            fields = {k: v for k, v in fields.items() if k in FINE_TUNE_FIELDS}
        if self.kind == "vae":
            fields.setdefault("beta", self.beta)
        try:
            config_from_dict(arch, fields, complete=False)
        except (TypeError, ValueError) as exc:
            raise RunError(f"Model settings do not fit a {self.kind.upper()}: {exc}") from None

    @property
    def learning_rate(self) -> float:
        return self.lr or {"gan": 0.002, "vae": 5e-4, "features": 1e-3}[self.kind]

    def total_steps(self, images: int) -> int:
        """Steps to run: from ``epochs`` when set, else ``steps``."""
        if self.epochs > 0:
            return max(1, math.ceil(self.epochs * images / self.batch))
        return self.steps


def make_optimizer(
    params: Any, name: str, lr: float, betas: tuple[float, float] = (0.0, 0.99)
) -> torch.optim.Optimizer:
    """Adam (GAN-style betas by default), RMSprop or SGD with momentum."""
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=betas[1])
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.Adam(params, lr=lr, betas=betas, eps=1e-8)


@dataclass
class StepReport:
    """What one training step reports to the CLI, the engine and the window."""

    step: int
    total: int
    losses: dict[str, float]
    images_per_s: float
    seconds: float
    preview: np.ndarray | None = None
    checkpointed: bool = False
    metrics: dict[str, float] = field(default_factory=dict)
    warning: str = ""  # plain words for people, e.g. a mode-collapse warning
    notice: str = ""  # once, on the first step: e.g. that a resume found no checkpoint
    device: str = ""  # where the run trains, e.g. "CPU" or "CUDA: <name> ×2"


class Run:
    """A run folder on disk."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def state_path(self) -> Path:
        return self.path / STATE_FILE

    @property
    def previews(self) -> Path:
        return self.path / "previews"

    def exists(self) -> bool:
        return (self.path / RUN_FILE).is_file()

    def create(self, cfg: TrainConfig) -> None:
        if self.exists():
            raise RunError(
                f"{self.path} already holds a training run; add --resume to continue it "
                "or choose another run folder."
            )
        self.path.mkdir(parents=True, exist_ok=True)
        self.write_config(cfg)

    def write_config(self, cfg: TrainConfig) -> None:
        data = json.dumps(dataclasses.asdict(cfg), indent=2).encode()
        atomic_write(self.path / RUN_FILE, lambda tmp: Path(tmp).write_bytes(data))

    def read_config(self) -> TrainConfig:
        if not self.exists():
            raise RunError(f"{self.path} is not a training run folder (no {RUN_FILE}).")
        try:
            fields = json.loads((self.path / RUN_FILE).read_text())
            return TrainConfig(**fields)
        except (json.JSONDecodeError, TypeError) as exc:
            raise RunError(f"{self.path / RUN_FILE} is damaged: {exc}") from exc

    def save_state(self, state: dict[str, Any]) -> None:
        atomic_write(self.state_path, lambda tmp: torch.save(state, tmp))

    def load_state(self) -> dict[str, Any] | None:
        if not self.state_path.is_file():
            return None
        try:
            state = torch.load(self.state_path, map_location="cpu", weights_only=True)
        except Exception as exc:  # any unpickling failure means a bad or foreign file
            raise RunError(f"The run's saved state cannot be read: {exc}") from exc
        if not isinstance(state, dict) or "step" not in state:
            raise RunError("The run's saved state is not a Latent Studio training state.")
        return state

    def sweep_temporaries(self) -> list[Path]:
        """Remove what killed atomic writes left (``.state.pt.*.tmp`` and the like, here
        and in ``previews/``); returns the paths removed. Call it only while no write to
        this run can be under way: when a run is opened to train."""
        removed = []
        for folder in (self.path, self.previews):
            if not folder.is_dir():
                continue
            for p in folder.glob(".*.tmp"):
                try:
                    if p.is_file() and not p.is_symlink():
                        p.unlink()
                        removed.append(p)
                except OSError:
                    continue  # not ours to remove, or gone already: harmless either way
        return removed

    def trim_log(self, step: int) -> int:
        """Drop log rows past ``step`` (the step training resumes from), and lines cut
        short by a kill; returns how many rows were dropped. Without this, a resume
        logs the steps after its checkpoint a second time."""
        p = self.path / LOG_FILE
        if not p.is_file():
            return 0
        lines = p.read_text(encoding="utf-8").splitlines()
        kept = []
        for line in lines:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            at = row.get("step") if isinstance(row, dict) else None
            if isinstance(at, (int, float)) and at <= step:
                kept.append(line)
        if len(kept) == len(lines):
            return 0
        data = "".join(f"{line}\n" for line in kept).encode()
        atomic_write(p, lambda tmp: Path(tmp).write_bytes(data))
        return len(lines) - len(kept)

    def log(self, record: dict[str, Any]) -> None:
        with open(self.path / LOG_FILE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    def read_log(self) -> list[dict[str, Any]]:
        p = self.path / LOG_FILE
        if not p.is_file():
            return []
        out = []
        for line in p.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short by a kill
        return out

    def save_preview(self, step: int, grid: np.ndarray) -> Path:
        path = self.previews / f"step-{step:07d}.png"
        self.previews.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: Image.fromarray(grid).save(tmp, format="PNG"))
        return path


def step_generator(seed: int, step: int) -> torch.Generator:
    """The random stream of one step: a pure function of (seed, step), for exact resume."""
    return torch.Generator().manual_seed((seed * 1_000_003 + step) & 0x7FFF_FFFF_FFFF_FFFF)


class Throughput:
    """Images per second over a sliding window of recent steps."""

    def __init__(self, window: int = 20) -> None:
        self.window = window
        self.times: list[tuple[float, int]] = []

    def add(self, images: int) -> float:
        self.times.append((time.perf_counter(), images))
        self.times = self.times[-self.window :]
        if len(self.times) < 2:
            return 0.0
        span = self.times[-1][0] - self.times[0][0]
        count = sum(n for _, n in self.times[1:])
        return count / span if span > 0 else 0.0
