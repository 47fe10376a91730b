"""Every registered architecture builds from its config and samples deterministically."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from studio.models.base import Generative, seeded_normal
from studio.models.fastgan import FastGANConfig
from studio.models.features import FeaturesConfig
from studio.models.gan import GANConfig, StyleGenerator
from studio.models.registry import ARCHS, build, config_from_dict, get_arch
from studio.models.vae import ConvVAE, VAEConfig

# One small config per registered architecture; a new arch must be added here.
TINY_CONFIGS = {
    "stylegan": GANConfig(
        resolution=32, z_dim=8, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16
    ),
    "fastgan": FastGANConfig(
        resolution=32,
        z_dim=8,
        w_dim=16,
        mapping_layers=2,
        channel_base=128,
        channel_max=16,
        decoder_channels=4,
    ),
    "vae": VAEConfig(resolution=32, latent_dim=8, base_channels=4, max_channels=16),
    "features": FeaturesConfig(resolution=32, num_classes=3, width=4, feature_dim=8),
}
GENERATIVE = sorted(name for name, arch in ARCHS.items() if arch.kind in ("gan", "vae"))


def _tiny(arch: str, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build(arch, TINY_CONFIGS[arch]).eval().requires_grad_(False)


def test_every_registered_arch_has_a_test_config():
    assert set(TINY_CONFIGS) == set(ARCHS)


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_builds_from_config_and_round_trips_config_dict(arch):
    cfg = TINY_CONFIGS[arch]
    module = _tiny(arch)
    assert isinstance(module, ARCHS[arch].module)
    assert isinstance(module, Generative) == (arch in GENERATIVE)
    assert module.arch == arch
    assert module.resolution == 32
    fields = dataclasses.asdict(cfg)
    assert config_from_dict(get_arch(arch), fields) == cfg


@pytest.mark.parametrize("arch", GENERATIVE)
def test_sample_is_deterministic_per_seed(arch):
    module = _tiny(arch)
    a = module.sample(3, seed=11)
    b = module.sample(3, seed=11)
    c = module.sample(3, seed=12)
    assert a.shape == (3, 3, 32, 32)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)
    # The seed names the latent, not the module's weights or the global RNG.
    torch.manual_seed(999)
    assert torch.equal(module.sample_latents(3, 11), module.sample_latents(3, 11))
    assert module.sample_latents(3, 11).shape == (3, module.latent_size)


@pytest.mark.parametrize(
    "dim",
    [
        16,
        128,
        8,
        10,
        100,
    ],
)
def test_first_rows_of_a_draw_do_not_depend_on_its_size(dim):
    for n in range(1, 7):
        for m in range(1, n + 1):
            assert torch.equal(seeded_normal(n, dim, 5)[:m], seeded_normal(m, dim, 5)), (n, m)


@pytest.mark.parametrize("arch", GENERATIVE)
def test_seed_names_the_same_latent_in_a_grid(arch):
    module = _tiny(arch)
    assert torch.equal(module.sample_latents(1, 5)[0], module.sample_latents(4, 5)[0])


def test_vae_decode_shape_and_range():
    vae = _tiny("vae")
    z = torch.randn(5, 8) * 10  # far outside the prior: still in range
    x = vae.decode(z)
    assert x.shape == (5, 3, 32, 32)
    assert x.min() >= -1 and x.max() <= 1


def test_gan_decode_shape_and_range():
    gan = _tiny("stylegan")
    x = gan.decode(gan.sample_latents(8, 0))
    assert x.shape == (8, 3, 32, 32)
    assert x.min() >= -1 and x.max() <= 1


def test_gan_truncation_zero_gives_the_mean_w_image_for_every_z():
    gan = _tiny("stylegan")
    gan.mapping.w_avg.copy_(torch.randn(16))  # a non-trivial mean w
    imgs = gan.sample(4, seed=3, truncation=0.0)
    mean_img = gan.synthesize(gan.mapping.w_avg[None])
    # Batch 4 and batch 1 may take other conv kernels on another CPU: 1e-5, not exact.
    for i in range(4):
        assert torch.allclose(imgs[i], mean_img[0], atol=1e-5)
    # Without truncation the images differ from each other.
    free = gan.sample(4, seed=3)
    assert not torch.allclose(free[0], free[1])
    # Half truncation lies between.
    half = gan.map(gan.sample_latents(1, 3), truncation=0.5)
    full = gan.map(gan.sample_latents(1, 3))
    assert torch.allclose(half, (full + gan.mapping.w_avg) / 2, atol=1e-6)


def test_gan_synthesize_per_layer_ws():
    gan = _tiny("stylegan")
    w = gan.map(gan.sample_latents(2, 1))
    same = w.unsqueeze(1).repeat(1, gan.num_ws, 1)
    assert torch.allclose(gan.synthesize(same), gan.synthesize(w))
    other = gan.map(gan.sample_latents(2, 2))
    mixed = same.clone()
    mixed[:, gan.num_ws - 3 :] = other.unsqueeze(1)
    assert not torch.allclose(gan.synthesize(mixed), gan.synthesize(w))
    assert gan.num_ws == TINY_CONFIGS["stylegan"].num_ws == 8


def test_gan_training_forward_mixes_styles():
    gan = _tiny("stylegan")
    z, z2 = gan.sample_latents(2, 0), gan.sample_latents(2, 1)
    plain = gan(z)
    # Training sees the raw output; decode gives users the [-1, 1] image range.
    assert torch.allclose(plain.clamp(-1, 1), gan.decode(z), atol=1e-6)
    assert not torch.allclose(gan(z, z2, mix_cutoff=2), plain)


def test_vae_encode_decode_shapes_and_determinism():
    vae = _tiny("vae")
    x = torch.rand(3, 3, 32, 32) * 2 - 1
    z = vae.encode(x)
    assert z.shape == (3, 8)
    assert torch.equal(z, vae.encode(x))
    mu, logvar = vae.encode_stats(x)
    assert torch.equal(mu, z) and logvar.shape == (3, 8)
    assert vae.decode(z).shape == (3, 3, 32, 32)
    recon, mu2, _ = vae(x, torch.Generator().manual_seed(0))
    assert recon.shape == x.shape and torch.equal(mu2, mu)


def test_vae_truncation_scales_the_code():
    vae = _tiny("vae")
    z = vae.sample_latents(2, 4)
    assert torch.allclose(vae.decode(z, truncation=0.5), vae.decode(z * 0.5))
    assert torch.allclose(vae.sample(2, 4, truncation=0.0)[0], vae.sample(2, 4, 0.0)[1])


@pytest.mark.parametrize(
    "resolution",
    [
        8,
        16,
        48,
        100,
        512,
        0,
        -64,
    ],
)
def test_gan_config_rejects_bad_resolutions(resolution):
    with pytest.raises(ValueError, match="resolution"):
        GANConfig(resolution=resolution)


@pytest.mark.parametrize(
    "resolution",
    [8, 24, 100, 512, 0, -64],
)
def test_vae_config_rejects_bad_resolutions(resolution):
    with pytest.raises(ValueError, match="resolution"):
        VAEConfig(resolution=resolution)


def test_configs_reject_non_positive_sizes():
    with pytest.raises(ValueError, match="z_dim"):
        GANConfig(resolution=32, z_dim=0)
    with pytest.raises(ValueError):
        VAEConfig(resolution=32, latent_dim=0)
    with pytest.raises(ValueError):
        VAEConfig(resolution=32, beta=-1.0)


def test_registry_errors_name_the_problem():
    with pytest.raises(KeyError, match="stylegan"):
        get_arch("diffusion")
    with pytest.raises(ValueError, match="bogus"):
        config_from_dict(get_arch("vae"), {"resolution": 32, "bogus": 1})
    with pytest.raises(TypeError, match="VAEConfig"):
        build("vae", TINY_CONFIGS["stylegan"])
    assert isinstance(build("vae", TINY_CONFIGS["vae"]), ConvVAE)
    assert isinstance(build("stylegan", TINY_CONFIGS["stylegan"]), StyleGenerator)


def test_an_unconditional_gan_starts_a_conditional_one_unchanged():
    from studio.models.gan import Discriminator, load_unconditional

    plain = TINY_CONFIGS["stylegan"]
    classed = dataclasses.replace(plain, num_classes=3)
    torch.manual_seed(0)
    G0, D0 = StyleGenerator(plain).eval(), Discriminator(plain).eval()
    G0.mapping.w_avg.normal_()  # a trained model's mean w is not zero
    torch.manual_seed(1)
    G1, D1 = StyleGenerator(classed).eval(), Discriminator(classed).eval()
    load_unconditional(G1, D1, G0.state_dict(), D0.state_dict())
    z = seeded_normal(4, plain.z_dim, 3)
    before = G0.decode(z)
    for label in range(3):
        after = G1.decode(z, 1.0, torch.full((4,), label))
        torch.testing.assert_close(after, before, atol=1e-5, rtol=0)
    img = torch.rand(4, 3, 32, 32) * 2 - 1
    torch.testing.assert_close(D1(img, torch.tensor([0, 1, 2, 0])), D0(img))
    # ...and the label's new inputs are there to learn: they get gradients.
    G1.train()
    G1.decode(z, 1.0, torch.tensor([0, 1, 2, 1])).square().mean().backward()
    grad = G1.mapping.layers[0].weight.grad
    assert grad is not None and grad[:, plain.z_dim :].abs().sum() > 0
    embed = G1.mapping.embed.weight
    assert embed.grad is not None and (embed.grad.abs().sum(0) > 0).all()
    # Every class starts with the same embedding, so a small step apart is heard at once:
    # the label's inputs are full size, as large as z's.
    label_w, z_w = G1.mapping.layers[0].weight[:, plain.z_dim :], G0.mapping.layers[0].weight
    assert 0.5 < float(label_w.detach().std() / (z_w.detach().std() * 2**0.5)) < 2
    with torch.no_grad():
        embed.add_(torch.randn_like(embed) * 0.1)
    moved = G1.eval().decode(z, 1.0, torch.zeros(4, dtype=torch.long))
    assert (moved - before).abs().mean() > 0.01

    with pytest.raises(ValueError, match="unconditional GAN of the same size"):
        load_unconditional(G1, D1, G1.state_dict())  # already conditional
    with pytest.raises(ValueError, match="unconditional GAN of the same size"):
        load_unconditional(StyleGenerator(plain), None, G0.state_dict())  # no classes
    wider = StyleGenerator(dataclasses.replace(plain, z_dim=16))
    with pytest.raises(ValueError, match="unconditional GAN of the same size"):
        load_unconditional(G1, None, wider.state_dict())


def test_a_conditional_gan_truncates_toward_its_class_centre():
    cfg = dataclasses.replace(TINY_CONFIGS["stylegan"], num_classes=3)
    torch.manual_seed(0)
    G = StyleGenerator(cfg).eval()
    z = seeded_normal(2, cfg.z_dim, 5)
    with torch.inference_mode():
        centres = [G.map(z, 0.0, torch.full((2,), k)) for k in range(3)]
    for k, c in enumerate(centres):
        # Truncation 0 gives the class's mean w, the same for every z...
        torch.testing.assert_close(c[0], c[1])
        many = G.mapping(seeded_normal(4000, cfg.z_dim, 9), torch.full((4000,), k)).mean(0)
        assert (c[0] - many).norm() < 0.1 * many.norm(), k
    # ...and each class has its own, none of them the mean w of all classes.
    assert not torch.allclose(centres[0], centres[1])
    assert not torch.allclose(centres[0][0], G.mapping.w_avg)
    half = G.map(z, 0.5, torch.tensor([0, 2]))
    full = G.map(z, 1.0, torch.tensor([0, 2]))
    torch.testing.assert_close(half[1], centres[2][1].lerp(full[1], 0.5))

    # Made under inference mode, used with gradients after (as inverting does).
    zg = z.clone().requires_grad_(True)
    G.map(zg, 0.7, torch.tensor([1, 1])).sum().backward()
    assert zg.grad is not None and zg.grad.abs().sum() > 0
    # New weights, new centres.
    with torch.no_grad():
        G.mapping.layers[0].bias.add_(1.0)
    moved = G.map(z, 0.0, torch.full((2,), 0))
    assert not torch.allclose(moved, centres[0])
