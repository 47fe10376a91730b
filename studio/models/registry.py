"""Architecture names → (config class, module class)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from torch import nn

from studio.models.fastgan import FastGANConfig, FastGenerator
from studio.models.features import FeatureNet, FeaturesConfig
from studio.models.gan import GANConfig, StyleGenerator
from studio.models.vae import ConvVAE, VAEConfig


@dataclass(frozen=True)
class Arch:
    """A registered architecture: how to build it and what kind of model it is."""

    name: str
    config: type
    module: type[nn.Module]
    kind: str  # "gan", "vae", or "features" (the metrics network, not for drawing)


ARCHS: dict[str, Arch] = {
    "stylegan": Arch("stylegan", GANConfig, StyleGenerator, "gan"),
    "fastgan": Arch("fastgan", FastGANConfig, FastGenerator, "gan"),
    "vae": Arch("vae", VAEConfig, ConvVAE, "vae"),
    "features": Arch("features", FeaturesConfig, FeatureNet, "features"),
}

GENERATIVE_KINDS = ("gan", "vae")


def get_arch(name: str) -> Arch:
    """The registered architecture called ``name``; a ``KeyError`` names the known ones."""
    try:
        return ARCHS[name]
    except KeyError:
        known = ", ".join(sorted(ARCHS))
        raise KeyError(f"Unknown architecture {name!r}; known: {known}.") from None


# Fields added after checkpoint format 1 whose defaults keep older files' behaviour.
ADDED_FIELDS: dict[str, set[str]] = {"stylegan": {"num_classes"}}


def config_from_dict(arch: Arch, fields: dict[str, Any], complete: bool = True) -> Any:
    """Build ``arch``'s config from a plain dict, refusing unknown fields and, with
    ``complete`` (as for checkpoint files), missing ones: a default silently filled in
    could change the model's pixels."""
    names = {f.name for f in dataclasses.fields(arch.config)}
    unknown = set(fields) - names
    if unknown:
        raise ValueError(
            f"Config for {arch.name} has unknown fields: {', '.join(sorted(unknown))}."
        )
    missing = names - set(fields) - ADDED_FIELDS.get(arch.name, set())
    if complete and missing:
        raise ValueError(f"Config for {arch.name} lacks fields: {', '.join(sorted(missing))}.")
    return arch.config(**fields)


def build(arch_name: str, config: Any) -> nn.Module:
    """Instantiate the module for ``arch_name`` from its config object."""
    arch = get_arch(arch_name)
    if not isinstance(config, arch.config):
        raise TypeError(f"{arch_name} needs a {arch.config.__name__}, not {type(config).__name__}.")
    return arch.module(config)
