"""The FastGAN-style architecture: config, checkpoints, sampling, and the studio's tools
(directions with layer ranges, truncation, style mixing) on a tiny fixture model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from conftest import TINY_DATA

from studio.models.checkpoint import load_checkpoint, metadata_for, save_checkpoint
from studio.models.fastgan import FastDiscriminator, FastGANConfig, FastGenerator
from studio.models.registry import build, config_from_dict, get_arch
from studio.pipelines.cancel import Cancelled, CancelToken
from studio.pipelines.directions import gan_directions
from studio.pipelines.render import Recipe, edited_latent, render_image
from studio.pipelines.sample import GenerateRequest, generate_images

TINY = FastGANConfig(
    resolution=32,
    z_dim=8,
    w_dim=16,
    mapping_layers=2,
    channel_base=128,
    channel_max=16,
    decoder_channels=4,
)


def _tiny(seed: int = 0, cfg: FastGANConfig = TINY) -> FastGenerator:
    torch.manual_seed(seed)
    return FastGenerator(cfg).eval().requires_grad_(False)


def _params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture
def fast(tmp_path):
    """The tiny model as the studio loads it: from a checkpoint file."""
    module = _tiny()
    path = save_checkpoint(
        module, tmp_path / "tiny-fast.safetensors", metadata_for(module, name="tiny-fast")
    )
    return load_checkpoint(path)


def test_builds_from_its_config_through_the_registry():
    module = build("fastgan", TINY)
    assert isinstance(module, FastGenerator) and module.arch == "fastgan"
    assert get_arch("fastgan").kind == "gan"
    assert config_from_dict(get_arch("fastgan"), dataclasses.asdict(TINY)) == TINY
    # A few thousand parameters: a fixture, not a model.
    assert _params(module) < 30_000 and _params(FastDiscriminator(TINY)) < 30_000
    # 32 px: blocks at 4 (one conv), 8 and 16 (two), 32 (one), and the to-RGB w.
    assert TINY.num_ws == module.num_ws == 1 + 2 + 2 + 1 + 1
    assert set(module.synthesis.gates) == {"32"}  # gated by the 4×4 block


@pytest.mark.parametrize("res", [64, 128])
def test_default_sizes_build_and_draw_their_resolution(res):
    cfg = FastGANConfig(resolution=res, channel_base=256, channel_max=16, decoder_channels=4)
    g = _tiny(cfg=cfg)
    img = g.sample(2, 0)
    assert img.shape == (2, 3, res, res) and float(img.abs().max()) <= 1.0
    gated = {str(r) for r in cfg.resolutions if r >= 32}
    assert set(g.synthesis.gates) == gated
    logits, loss = FastDiscriminator(cfg).judge_and_reconstruct(img, 1)
    assert logits.shape == (2,) and torch.isfinite(loss)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"resolution": 48}, "power of two"),
        ({"two_convs_below": 3}, "two_convs_below"),
        ({"sle_span": 1}, "sle_span"),
        ({"decoder_channels": 0}, "decoder_channels"),
    ],
)
def test_bad_config_refused(fields, words):
    with pytest.raises(ValueError, match=words):
        FastGANConfig(**fields)


def test_checkpoint_round_trip_is_bit_exact(tmp_path):
    module = _tiny(3)
    path = save_checkpoint(
        module, tmp_path / "f.safetensors", metadata_for(module, name="f", data=TINY_DATA)
    )
    loaded = load_checkpoint(path)
    assert loaded.arch == "fastgan" and isinstance(loaded.module, FastGenerator)
    state, ref = loaded.module.state_dict(), module.state_dict()
    assert set(state) == set(ref)
    for key in ref:
        assert torch.equal(state[key], ref[key]), key
    assert torch.equal(loaded.module.sample(4, 9), module.sample(4, 9))
    assert loaded.module.cfg == TINY


def test_sampling_is_deterministic_per_seed_and_alone_as_in_a_batch():
    g = _tiny()
    a, b, c = g.sample(4, 11), g.sample(4, 11), g.sample(4, 12)
    assert torch.equal(a, b) and not torch.allclose(a, c)
    # No batch statistics in G: an image does not depend on the others drawn with it.
    alone = g.decode(g.sample_latents(4, 11)[1:2])
    assert torch.allclose(alone, a[1:2], atol=1e-5)
    # Different weights, different images from the same seed.
    assert not torch.allclose(_tiny(1).sample(4, 11), a)


def test_truncation_pulls_toward_the_mean_w():
    g = _tiny()
    with torch.no_grad():
        g.mapping.w_avg.copy_(torch.randn(TINY.w_dim))
    z = g.sample_latents(3, 4)
    assert torch.allclose(g.map(z, 0.0), g.mapping.w_avg.expand(3, -1))
    half = g.map(z, 0.5)
    assert torch.allclose(half, (g.map(z) + g.mapping.w_avg) / 2, atol=1e-6)
    assert not torch.allclose(g.decode(z, 0.5), g.decode(z))


def test_each_w_row_steers_the_synthesis_and_mixing_swaps_layer_ranges():
    g = _tiny()
    w1, w2 = g.map(g.sample_latents(1, 1)), g.map(g.sample_latents(1, 2))
    ws1 = w1.unsqueeze(1).repeat(1, g.num_ws, 1)
    assert torch.equal(g.synthesize(w1), g.synthesize(ws1))
    base = g.synthesize(ws1)
    for i in range(g.num_ws):  # every layer's w reaches the image
        ws = ws1.clone()
        ws[:, i] = w2
        assert not torch.allclose(g.synthesize(ws), base), i
    # Style mixing: coarse layers from one w, fine from the other; all from w2 is w2.
    mixed = torch.cat([ws1[:, :3], w2.unsqueeze(1).expand(-1, g.num_ws - 3, -1)], 1)
    out = g.synthesize(mixed)
    assert not torch.allclose(out, base) and not torch.allclose(out, g.synthesize(w2))
    # Training forward mixes the same way.
    g.train()
    z1, z2 = g.sample_latents(2, 1), g.sample_latents(2, 2)
    assert not torch.allclose(g(z1, z2, 3), g(z1))


def test_between_runs_before_each_block_and_can_cancel():
    g = _tiny()
    calls: list[int] = []
    g.synthesize(g.map(g.sample_latents(1, 0)), lambda: calls.append(1))
    assert len(calls) == len(TINY.resolutions)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        g.synthesize(g.map(g.sample_latents(1, 0)), token.check)


def test_discriminator_reconstructs_and_its_logits_match_forward():
    torch.manual_seed(0)
    d = FastDiscriminator(TINY)
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    logits, loss = d.judge_and_reconstruct(x, 2)
    assert torch.allclose(logits, d(x), atol=1e-6)
    assert loss.item() > 0
    loss.backward()
    assert d.decode_whole.out.weight.grad is not None
    assert d.decode_part.out.weight.grad is not None
    # Another quarter is another target.
    _, other = d.judge_and_reconstruct(x, 1)
    assert not torch.isclose(other, loss)
    assert d.lower_layers(2)[0] is d.fromrgb and len(d.lower_layers(2)) == 2


def test_directions_with_layer_ranges_on_fastgan(fast):
    dirs = gan_directions(fast, k=4, samples=400, seed=1)
    assert dirs.space == "w" and dirs.components.shape == (4, TINY.w_dim)
    n = fast.module.num_ws
    plain = render_image(fast, Recipe("m", 2))
    full = render_image(fast, Recipe("m", 2, 1.0, edits=(3.0, -2.0)), dirs)
    coarse = render_image(fast, Recipe("m", 2, 1.0, edits=(3.0, -2.0), layers=(0, 3)), dirs)
    fine = render_image(fast, Recipe("m", 2, 1.0, edits=(3.0, -2.0), layers=(3, n)), dirs)
    assert np.array_equal(
        full, render_image(fast, Recipe("m", 2, 1.0, edits=(3.0, -2.0), layers=(0, n)), dirs)
    )
    assert not np.array_equal(coarse, full) and not np.array_equal(fine, full)
    assert not np.array_equal(coarse, plain) and not np.array_equal(coarse, fine)
    ws = edited_latent(fast, Recipe("m", 2, 1.0, edits=(3.0,), layers=(0, 3)), dirs)
    assert ws.shape == (1, n, TINY.w_dim)
    assert torch.equal(ws[0, 3], ws[0, -1]) and not torch.equal(ws[0, 0], ws[0, 3])


def test_generate_and_render_agree_with_truncation(fast):
    sheet = generate_images(fast, GenerateRequest(count=3, seed=5, truncation=0.7))
    again = generate_images(fast, GenerateRequest(count=3, seed=5, truncation=0.7))
    assert sheet.shape == (3, 32, 32, 3) and np.array_equal(sheet, again)
    one = generate_images(fast, GenerateRequest(count=1, seed=5, truncation=0.7))[0]
    assert np.array_equal(render_image(fast, Recipe("m", 5, 0.7)), one)
    assert not np.array_equal(render_image(fast, Recipe("m", 5, 1.0)), one)
