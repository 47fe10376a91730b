"""What to train and how: model choice and the settings a ``TrainConfig`` is made from.

Defaults follow the size of the scanned set (see :func:`suggested`); the form builds a
plain dict of ``TrainConfig`` fields, which the engine turns into the config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QSpinBox,
    QWidget,
)

from studio.models.catalog import ModelEntry
from studio.training.augment import strength_for_set_size
from studio.training.estimate import CPU_CHANNEL_BASE, GPU_CHANNEL_BASE, SMALL_CHANNEL_BASE
from studio.training.run import TrainConfig
from studio.ui.naming import named

RESOLUTIONS = (32, 64, 128, 256)
DEFAULT_RESOLUTION = 64
OPTIMIZERS = (("Adam", "adam"), ("RMSprop", "rmsprop"), ("SGD + momentum", "sgd"))
GAN_LOSSES = (("Non-saturating + R1", "nonsat"), ("Hinge", "hinge"))
DEFAULTS = TrainConfig(kind="gan", data="")
# A new GAN's size (channel_base): the default follows the device (see set_device).
GAN_SIZES = (
    (f"Small ({SMALL_CHANNEL_BASE})", SMALL_CHANNEL_BASE),
    (f"Standard ({CPU_CHANNEL_BASE}, as ours)", CPU_CHANNEL_BASE),
    (f"Large ({GPU_CHANNEL_BASE})", GPU_CHANNEL_BASE),
)


@dataclass(frozen=True)
class ModelChoice:
    """Train a new GAN/VAE, or fine-tune the model named ``base``."""

    kind: str  # "gan" or "vae"
    base: str = ""  # the model to start from; "" for a new model
    resolution: int = 0  # the base model's (fixed when fine-tuning)
    classes: tuple[str, ...] = ()  # the base model's classes

    @property
    def label(self) -> str:
        """What the combo box shows."""
        return f"Fine-tune {self.base}" if self.base else f"New {self.kind.upper()}"


def model_choices(entries: list[ModelEntry]) -> list[ModelChoice]:
    """New GAN, new VAE, then every usable GAN or VAE in the registry to fine-tune."""
    choices = [ModelChoice("gan"), ModelChoice("vae")]
    for e in entries:
        if not e.error and e.kind in ("gan", "vae"):
            classes = tuple(str(c) for c in e.meta.get("classes", []))
            choices.append(ModelChoice(e.kind, e.name, e.resolution, classes))
    return choices


def default_lr(kind: str) -> float:
    """The trainer's own learning rate for ``kind``."""
    return TrainConfig(kind=kind, data="").learning_rate


def suggested(images: int, fine_tune: bool = False) -> dict[str, int]:
    """Batch and steps for a set of ``images``: small sets take more passes (epochs),
    fine-tuning half as many steps. Steps are rounded to 500, from 1,000 to 50,000."""
    batch = 32 if images >= 512 else 16 if images >= 64 else 8
    epochs = 400 if images < 500 else 200 if images < 2000 else 100 if images < 10_000 else 50
    steps = epochs * max(1, images) / batch / (2 if fine_tune else 1)
    steps = min(50_000, max(1000, round(steps / 500) * 500))
    return {"batch": batch, "steps": int(steps)}


def every(steps: int, parts: int, cap: int = 500) -> int:
    """An interval giving about ``parts`` events over ``steps`` (at most ``cap``)."""
    return max(1, min(cap, math.ceil(steps / parts)))


class TrainSettings(QGroupBox):
    """The model choice and its settings. ``changed()`` fires when the choice changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Model and settings", parent)
        self.choices: list[ModelChoice] = []
        self.images = 0
        self.classes: list[str] = []

        self.model = named(QComboBox(), "trainModelCombo")
        self.model.setToolTip("Start a new model, or fine-tune one you have on your images")
        self.freeze = named(QSpinBox(), "trainFreezeSpin")
        self.freeze.setRange(0, 7)
        self.freeze.setToolTip(
            "Keep this many lower discriminator layers fixed (FreezeD): helps fine-tuning "
            "on few images"
        )
        self.steps = named(QSpinBox(), "trainStepsSpin")
        self.steps.setRange(1, 1_000_000)
        self.steps.setSingleStep(500)
        self.steps.setGroupSeparatorShown(True)
        self.steps.setToolTip("Training steps (one batch each); more steps, better pictures")
        self.batch = named(QSpinBox(), "trainBatchSpin")
        self.batch.setRange(1, 512)
        self.batch.setToolTip("Images per step; smaller uses less memory")
        self.lr = named(QDoubleSpinBox(), "trainLrSpin")
        self.lr.setDecimals(5)
        self.lr.setRange(0.00001, 0.1)
        self.lr.setSingleStep(0.0001)
        self.lr.setToolTip("Learning rate: how big each update is")
        self.optimizer = named(QComboBox(), "trainOptimizerCombo")
        for text, value in OPTIMIZERS:
            self.optimizer.addItem(text, value)
        self.optimizer.setToolTip("How the weights are updated")
        self.resolution = named(QComboBox(), "trainResolutionCombo")
        for res in RESOLUTIONS:
            self.resolution.addItem(f"{res} × {res}", res)
        self.resolution.setToolTip("Picture size the model makes (fixed when fine-tuning)")
        self.loss = named(QComboBox(), "trainLossCombo")
        for text, value in GAN_LOSSES:
            self.loss.addItem(text, value)
        self.loss.setToolTip("The GAN's loss")
        self.beta = named(QDoubleSpinBox(), "trainBetaSpin")
        self.beta.setRange(0.0, 20.0)
        self.beta.setSingleStep(0.1)
        self.beta.setToolTip("VAE β: higher gives a tidier latent space, blurrier pictures")
        self.augment = named(QDoubleSpinBox(), "trainAugmentSpin")
        self.augment.setRange(0.0, 1.0)
        self.augment.setSingleStep(0.05)
        self.augment.setToolTip(
            "Augmentation strength (colour, shifts, cut-outs) so the discriminator cannot "
            "memorise a small set; chosen from the number of images"
        )
        self.ada = named(QCheckBox("Adaptive (ADA)"), "trainAdaCheck")
        self.ada.setToolTip("Start without augmentation and raise it while D overfits")
        self.gan_size = named(QComboBox(), "trainSizeCombo")
        for label, base in GAN_SIZES:
            self.gan_size.addItem(label, base)
        self.gan_size.setToolTip(
            "How wide the new GAN is (channel_base): smaller trains faster; the shipped "
            "models use the standard size"
        )
        self.gan_size.setCurrentIndex(self.gan_size.findData(CPU_CHANNEL_BASE))
        self.conditional = named(QCheckBox("Learn the classes"), "trainConditionalCheck")
        self.conditional.setToolTip(
            "Class-conditional GAN: each subfolder becomes a class you can ask for"
        )

        self.form = QFormLayout(self)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, widget in (
            ("Model", self.model),
            ("Freeze lower D", self.freeze),
            ("Resolution", self.resolution),
            ("Model size", self.gan_size),
            ("Steps", self.steps),
            ("Batch", self.batch),
            ("Learning rate", self.lr),
            ("Optimizer", self.optimizer),
            ("GAN loss", self.loss),
            ("VAE β", self.beta),
            ("Augmentation", self.augment),
            ("", self.ada),
            ("Classes", self.conditional),
        ):
            self.form.addRow(label, widget)
        self.resolution.setCurrentIndex(RESOLUTIONS.index(DEFAULT_RESOLUTION))
        self.optimizer.setCurrentIndex(self.optimizer.findData(DEFAULTS.optimizer))
        self.loss.setCurrentIndex(self.loss.findData(DEFAULTS.loss))
        self.beta.setValue(DEFAULTS.beta)
        self.steps.setValue(DEFAULTS.steps)
        self.batch.setValue(DEFAULTS.batch)
        self.ada.setChecked(DEFAULTS.ada)
        self.model.currentIndexChanged.connect(self._choice_changed)
        self.ada.toggled.connect(lambda on: self.augment.setEnabled(not on))
        self.set_entries([])
        self.set_images(0, [])

    # ------------------------------------------------------------------ input

    def set_entries(self, entries: list[ModelEntry]) -> None:
        """Offer new models and these to fine-tune; keeps the current choice if it stays."""
        current = self.choice() if self.choices else None
        self.choices = model_choices(entries)
        self.model.blockSignals(True)
        self.model.clear()
        for choice in self.choices:
            self.model.addItem(choice.label)
        kept = current is not None and current in self.choices
        self.model.setCurrentIndex(self.choices.index(current) if current and kept else 0)
        self.model.blockSignals(False)
        if not kept:  # the settings stay as they were set when the choice stays
            self._choice_changed()

    def set_device(self, device_type: str) -> None:
        """Size a new GAN for the device: the shipped models' size on a CPU, the larger
        one on a GPU."""
        base = CPU_CHANNEL_BASE if device_type == "cpu" else GPU_CHANNEL_BASE
        self.gan_size.setCurrentIndex(self.gan_size.findData(base))

    def smaller(self) -> bool:
        """Pick the next smaller GAN size; False when there is none (or no new GAN)."""
        choice = self.choice()
        if choice.kind != "gan" or choice.base or self.gan_size.currentIndex() <= 0:
            return False
        self.gan_size.setCurrentIndex(self.gan_size.currentIndex() - 1)
        return True

    def fine_tune_choice(self) -> ModelChoice | None:
        """A shipped-size GAN to fine-tune instead of a new one: emoji-gan if it is
        there, else the first GAN."""
        gans = [c for c in self.choices if c.base and c.kind == "gan"]
        preferred = [c for c in gans if c.base == "emoji-gan"]
        found = preferred or gans
        return found[0] if found else None

    def select(self, label: str) -> None:
        """Pick the choice whose label is ``label`` (e.g. "New VAE", "Fine-tune emoji-gan")."""
        labels = [c.label for c in self.choices]
        self.model.setCurrentIndex(labels.index(label))

    def set_images(self, images: int, classes: list[str]) -> None:
        """Defaults for a scanned set of ``images`` (with these class subfolders)."""
        self.images, self.classes = images, list(classes)
        self._apply_defaults()

    # ------------------------------------------------------------------ output

    def choice(self) -> ModelChoice:
        """What is picked."""
        return self.choices[max(0, self.model.currentIndex())]

    def config(self, data: str, device: str, model_options: dict[str, Any]) -> dict[str, Any]:
        """``TrainConfig`` fields (a plain dict) for training on ``data`` on ``device``."""
        choice = self.choice()
        steps = self.steps.value()
        gan = choice.kind == "gan"
        cfg: dict[str, Any] = {
            "kind": choice.kind,
            "data": data,
            "steps": steps,
            "batch": self.batch.value(),
            "lr": round(self.lr.value(), 6),
            "optimizer": self.optimizer.currentData(),
            "device": device,
            "preview_every": every(steps, 40),
            "checkpoint_every": every(steps, 10),
            "log_every": every(steps, 200, cap=10),
            "init_from": choice.base,
            # The data are decoded at model["resolution"]: a fine-tune's is its base model's.
            "model": {"resolution": choice.resolution or self.resolution.currentData()},
            "command": "Latent Studio window: " + choice.label,
        }
        if gan:
            cfg |= {
                "loss": self.loss.currentData(),
                "augment_strength": round(self.augment.value(), 3),
                "ada": self.ada.isChecked(),
                "conditional": self.conditional.isChecked(),
                "freeze_d": self.freeze.value() if choice.base else 0,
            }
        else:
            cfg["beta"] = self.beta.value()
        if not choice.base:
            if gan:
                cfg["model"]["channel_base"] = self.gan_size.currentData()
            cfg["model"] |= model_options
        return cfg

    # ------------------------------------------------------------------ internals

    def _apply_defaults(self) -> None:
        choice = self.choice()
        tips = suggested(self.images, fine_tune=bool(choice.base)) if self.images else {}
        if tips:
            self.batch.setValue(tips["batch"])
            self.steps.setValue(tips["steps"])
            self.augment.setValue(strength_for_set_size(self.images))
        self.lr.setValue(default_lr(choice.kind))
        gan = choice.kind == "gan"
        if choice.base:
            self.conditional.setChecked(bool(choice.classes))
            self.conditional.setEnabled(False)  # fine-tuning keeps the model's classes
        else:
            self.conditional.setEnabled(gan and len(self.classes) >= 2)
            if not self.conditional.isEnabled():
                self.conditional.setChecked(False)
        self.conditional.setToolTip(
            "Class-conditional GAN: each subfolder becomes a class you can ask for"
            if self.classes
            else "Needs images in one subfolder per class (at least two)"
        )

    def _choice_changed(self) -> None:
        choice = self.choice()
        gan, tune = choice.kind == "gan", bool(choice.base)
        res = choice.resolution if tune else DEFAULT_RESOLUTION
        if res in RESOLUTIONS and (tune or not self.resolution.isEnabled()):
            self.resolution.setCurrentIndex(RESOLUTIONS.index(res))
        self.resolution.setEnabled(not tune)
        self.freeze.setMaximum(max(1, int(math.log2(max(res, 32))) - 1))
        for widget, show in (
            (self.freeze, gan and tune),
            (self.gan_size, gan and not tune),
            (self.loss, gan),
            (self.augment, gan),
            (self.ada, gan),
            (self.conditional, gan),
            (self.beta, not gan),
        ):
            self.form.setRowVisible(widget, show)
        self._apply_defaults()
        self.changed.emit()
