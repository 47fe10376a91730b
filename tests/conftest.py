"""Shared fixtures: tiny seeded models saved as real checkpoint files, isolated folders.

Qt is forced offscreen before anything can import it, and every test gets its own user
data folder, so no test reads or writes the real one.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from studio.models.checkpoint import metadata_for, save_checkpoint  # noqa: E402
from studio.models.features import FeatureNet, FeaturesConfig  # noqa: E402
from studio.models.gan import GANConfig, StyleGenerator  # noqa: E402
from studio.models.vae import ConvVAE, VAEConfig  # noqa: E402

TINY_GAN_FIELDS = {
    "resolution": 32,
    "z_dim": 8,
    "w_dim": 16,
    "mapping_layers": 2,
    "channel_base": 128,
    "channel_max": 16,
}
TINY_VAE_FIELDS = {"resolution": 32, "latent_dim": 8, "base_channels": 4, "max_channels": 16}
# Model settings of the tiny models by kind, as training runs take them.
TINY_FIELDS = {"gan": TINY_GAN_FIELDS, "vae": TINY_VAE_FIELDS}
TINY_GAN = GANConfig(**TINY_GAN_FIELDS)
TINY_VAE = VAEConfig(**TINY_VAE_FIELDS)
TINY_DATA = {"name": "test shapes", "source": "made by the tests", "licence": "CC0", "count": 0}


def tiny_gan(seed: int = 0) -> StyleGenerator:
    torch.manual_seed(seed)
    return StyleGenerator(TINY_GAN).eval().requires_grad_(False)


def tiny_vae(seed: int = 0) -> ConvVAE:
    torch.manual_seed(seed)
    return ConvVAE(TINY_VAE).eval().requires_grad_(False)


def save_tiny(module: torch.nn.Module, path: Path, name: str) -> Path:
    return save_checkpoint(module, path, metadata_for(module, name=name, data=TINY_DATA))


def save_tiny_features(folder: Path, name: str = "studio-features") -> Path:
    """A tiny feature network, saved in ``folder`` as ``name``."""
    torch.manual_seed(0)
    net = FeatureNet(FeaturesConfig(resolution=32, num_classes=3, width=4, feature_dim=16))
    meta = metadata_for(net.eval(), name=name, label="studio features")
    return save_checkpoint(net, folder / f"{name}.safetensors", meta)


@pytest.fixture
def features_installed() -> Path:
    """A tiny ``studio-features`` among the (test) shipped models."""
    return save_tiny_features(Path(os.environ["LATENT_STUDIO_CHECKPOINTS"]))


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """One intra-op thread: tests run many tiny models next to engine and training
    threads, where a thread pool per call only adds contention (and noise)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory):
    """A fresh user data folder and an empty shipped-models folder for every test.

    Its own MonkeyPatch, so a test calling ``monkeypatch.undo()`` cannot send the
    studio back to the real user folder.
    """
    home = tmp_path_factory.mktemp("home")
    shipped = tmp_path_factory.mktemp("shipped")
    patch = pytest.MonkeyPatch()
    patch.setenv("LATENT_STUDIO_HOME", str(home))
    patch.setenv("LATENT_STUDIO_CHECKPOINTS", str(shipped))
    yield home
    patch.undo()


@pytest.fixture
def model_dir() -> Path:
    """The (test) shipped-models folder, holding ``tiny-gan`` and ``tiny-vae``."""
    folder = Path(os.environ["LATENT_STUDIO_CHECKPOINTS"])
    save_tiny(tiny_gan(), folder / "tiny-gan.safetensors", "tiny-gan")
    save_tiny(tiny_vae(), folder / "tiny-vae.safetensors", "tiny-vae")
    return folder


def make_shapes_folder(folder: Path, count: int = 24, size: int = 40, seed: int = 0) -> Path:
    """A folder of simple coloured-shape PNGs to train on."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        img = np.full((size, size, 3), 255, np.uint8)
        colour = rng.integers(0, 256, 3)
        y0, x0 = rng.integers(0, size // 2, 2)
        h, w = rng.integers(size // 4, size // 2, 2)
        img[y0 : y0 + h, x0 : x0 + w] = colour
        Image.fromarray(img).save(folder / f"shape-{i:03d}.png")
    return folder


@pytest.fixture
def shapes_dir(tmp_path: Path) -> Path:
    return make_shapes_folder(tmp_path / "shapes")
