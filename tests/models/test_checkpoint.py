"""Checkpoint files: exact round trips, clear refusals, atomic saves."""

from __future__ import annotations

import dataclasses
import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import studio.models.checkpoint as checkpoint
from studio.models.checkpoint import (
    FORMAT_VERSION,
    META_KEY,
    CheckpointError,
    load_checkpoint,
    metadata_for,
    read_header,
    save_checkpoint,
)
from studio.models.gan import GANConfig, StyleGenerator
from studio.models.vae import ConvVAE, VAEConfig

GAN_CFG = GANConfig(
    resolution=32, z_dim=8, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16
)
VAE_CFG = VAEConfig(resolution=32, latent_dim=8, base_channels=4, max_channels=16)
DATA = {"name": "test shapes", "source": "made by the tests", "licence": "CC0", "count": 0}


def _gan(seed: int = 0) -> StyleGenerator:
    torch.manual_seed(seed)
    g = StyleGenerator(GAN_CFG).eval().requires_grad_(False)
    g.mapping.w_avg.normal_()  # buffers must round-trip too
    return g


def _vae(seed: int = 0) -> ConvVAE:
    torch.manual_seed(seed)
    return ConvVAE(VAE_CFG).eval().requires_grad_(False)


def _save(module, path: Path, name: str = "m", half: bool = False) -> Path:
    return save_checkpoint(module, path, metadata_for(module, name=name, data=DATA), half=half)


def _raw_header(path: Path) -> dict:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + n])


def _write_with_meta(path: Path, tensors: dict, meta: dict) -> Path:
    save_file(tensors, str(path), metadata={META_KEY: json.dumps(meta)})
    return path


@pytest.mark.parametrize("make", [_gan, _vae])
def test_fp32_round_trip_is_bit_exact(tmp_path, make):
    module = make()
    path = _save(module, tmp_path / "m.safetensors")
    loaded = load_checkpoint(path)
    state, ref = loaded.module.state_dict(), module.state_dict()
    assert set(state) == set(ref)
    for key in ref:
        assert state[key].dtype == torch.float32
        assert torch.equal(state[key], ref[key]), key
    assert torch.equal(loaded.module.sample(4, 9), module.sample(4, 9))
    assert not loaded.module.training
    assert not any(p.requires_grad for p in loaded.module.parameters())
    assert loaded.arch == module.arch and loaded.path == path and loaded.name == "m"


@pytest.mark.parametrize("make", [_gan, _vae])
def test_fp16_loads_as_fp32_and_stays_close(tmp_path, make):
    module = make()
    full = _save(module, tmp_path / "full.safetensors")
    half = _save(module, tmp_path / "half.safetensors", half=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    assert all(t.dtype == torch.float16 for t in load_file(str(half)).values())
    loaded = load_checkpoint(half)
    assert loaded.meta["dtype"] == "float16"
    for key, ref in module.state_dict().items():
        got = loaded.module.state_dict()[key]
        assert got.dtype == torch.float32
        assert torch.allclose(got, ref, rtol=2e-3, atol=1e-4), key
    a, b = loaded.module.sample(4, 9), module.sample(4, 9)
    assert (a - b).abs().max() < 0.05 * max(1.0, float(b.abs().max()))


def test_metadata_fields(tmp_path):
    module = _gan()
    path = _save(module, tmp_path / "g.safetensors", name="tiny")
    meta = read_header(path)
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["arch"] == "stylegan" and meta["kind"] == "gan"
    assert meta["config"] == dataclasses.asdict(GAN_CFG)
    assert {"resolution": 32, "z_dim": 8, "w_dim": 16}.items() <= meta["config"].items()
    assert meta["resolution"] == 32 and meta["latent_size"] == 8
    assert meta["parameters"] == sum(p.numel() for p in module.parameters())
    assert meta["data"] == DATA and meta["name"] == "tiny" and meta["dtype"] == "float32"
    vmeta = read_header(_save(_vae(), tmp_path / "v.safetensors"))
    assert (vmeta["arch"], vmeta["kind"], vmeta["latent_size"]) == ("vae", "vae", 8)


def test_malicious_pickle_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    meta = metadata_for(_gan(), name="evil", data=DATA)
    path = tmp_path / "evil.pt"
    torch.save({META_KEY: json.dumps(meta), "state_dict": _gan().state_dict(), "x": Evil()}, path)
    with pytest.raises(CheckpointError, match="refused") as info:
        load_checkpoint(path)
    assert "pickle" in str(info.value)
    assert not marker.exists()
    # The payload is real: an unsafe load would have run it.
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_weights_only_pt_with_metadata_loads(tmp_path):
    module = _gan()
    meta = metadata_for(module, name="legacy", data=DATA)
    path = tmp_path / "legacy.pt"
    torch.save({META_KEY: json.dumps(meta), "state_dict": module.state_dict()}, path)
    loaded = load_checkpoint(path)
    assert loaded.name == "legacy"
    assert torch.equal(loaded.module.sample(2, 1), module.sample(2, 1))


@pytest.mark.parametrize(
    ("text", "words"), [("{not json", "corrupt"), ('{"data": 7}', "'data' should be an object")]
)
def test_weights_only_pt_with_bad_metadata_refused(tmp_path, text, words):
    path = tmp_path / "odd.pt"
    torch.save({META_KEY: text, "state_dict": _gan().state_dict()}, path)
    with pytest.raises(CheckpointError, match=words):
        load_checkpoint(path)


def test_weights_only_pt_without_metadata_refused(tmp_path):
    path = tmp_path / "bare.pth"
    torch.save(_gan().state_dict(), path)
    with pytest.raises(CheckpointError, match="no Latent Studio metadata"):
        load_checkpoint(path)


def test_truncated_safetensors_refused(tmp_path):
    path = _save(_gan(), tmp_path / "t.safetensors")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(path)
    path.write_bytes(data[:20])  # cut inside the header
    with pytest.raises(CheckpointError, match="t.safetensors"):
        load_checkpoint(path)
    path.write_bytes(data[:5])
    with pytest.raises(CheckpointError, match="too short"):
        load_checkpoint(path)


def test_wrong_tensor_shape_refused_naming_the_tensor(tmp_path):
    module = _gan()
    tensors = {k: v.contiguous() for k, v in module.state_dict().items()}
    key = "synthesis.blocks.1.conv0.weight"
    tensors[key] = torch.zeros(3, 3, 3, 3)
    path = _write_with_meta(tmp_path / "s.safetensors", tensors, metadata_for(module, name="s"))
    with pytest.raises(CheckpointError, match=key.replace(".", r"\.")) as info:
        load_checkpoint(path)
    assert "(3, 3, 3, 3)" in str(info.value)


def test_missing_tensor_refused(tmp_path):
    module = _gan()
    tensors = {k: v.contiguous() for k, v in module.state_dict().items()}
    del tensors["mapping.w_avg"]
    path = _write_with_meta(tmp_path / "m.safetensors", tensors, metadata_for(module, name="m"))
    with pytest.raises(CheckpointError, match="mapping.w_avg"):
        load_checkpoint(path)


def test_unknown_arch_refused(tmp_path):
    module = _gan()
    meta = {**metadata_for(module, name="d"), "arch": "diffusion"}
    tensors = {k: v.contiguous() for k, v in module.state_dict().items()}
    path = _write_with_meta(tmp_path / "d.safetensors", tensors, meta)
    with pytest.raises(CheckpointError, match="diffusion") as info:
        load_checkpoint(path)
    assert "stylegan" in str(info.value)  # names the known ones


def test_wrong_arch_refused(tmp_path):
    gan = _gan()
    tensors = {k: v.contiguous() for k, v in gan.state_dict().items()}
    # VAE metadata and config over GAN tensors.
    path = _write_with_meta(tmp_path / "w.safetensors", tensors, metadata_for(_vae(), name="w"))
    with pytest.raises(CheckpointError, match="does not match its architecture"):
        load_checkpoint(path)
    # VAE arch name with a GAN config.
    meta = {**metadata_for(gan, name="w"), "arch": "vae"}
    path = _write_with_meta(tmp_path / "w2.safetensors", tensors, meta)
    with pytest.raises(CheckpointError, match="does not fit vae"):
        load_checkpoint(path)


def test_random_bytes_refused(tmp_path):
    path = tmp_path / "noise.safetensors"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(CheckpointError, match="noise.safetensors"):
        load_checkpoint(path)


def test_foreign_safetensors_refused(tmp_path):
    path = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2, 2)}, str(path))
    with pytest.raises(CheckpointError, match="not a Latent Studio model"):
        load_checkpoint(path)


def test_future_format_version_refused(tmp_path):
    module = _gan()
    meta = {**metadata_for(module, name="f"), "format_version": FORMAT_VERSION + 1}
    tensors = {k: v.contiguous() for k, v in module.state_dict().items()}
    path = _write_with_meta(tmp_path / "f.safetensors", tensors, meta)
    with pytest.raises(CheckpointError, match="format"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [("data", 7, "an object"), ("training", ["x"], "an object"), ("resolution", "64", "a number")],
)
def test_metadata_fields_of_the_wrong_type_refused(tmp_path, field, value, words):
    module = _gan()
    meta = {**metadata_for(module, name="odd"), field: value}
    tensors = {k: v.contiguous() for k, v in module.state_dict().items()}
    path = _write_with_meta(tmp_path / "odd.safetensors", tensors, meta)
    with pytest.raises(CheckpointError, match=f"'{field}' should be {words}"):
        load_checkpoint(path)


def test_config_missing_a_field_refused(tmp_path):
    cfg = GANConfig(**{**GAN_CFG.__dict__, "mapping_lr_mult": 0.05})
    torch.manual_seed(0)
    module = StyleGenerator(cfg).eval()
    meta = metadata_for(module, name="old")
    del meta["config"]["mapping_lr_mult"]
    tensors = {k: v.contiguous() for k, v in module.state_dict().items()}
    path = _write_with_meta(tmp_path / "old.safetensors", tensors, meta)
    with pytest.raises(CheckpointError, match="mapping_lr_mult"):
        load_checkpoint(path)


def test_other_refusals(tmp_path):
    with pytest.raises(CheckpointError, match="No model file"):
        load_checkpoint(tmp_path / "absent.safetensors")
    odd = tmp_path / "model.onnx"
    odd.write_bytes(b"x" * 16)
    with pytest.raises(CheckpointError, match="unknown model file type"):
        load_checkpoint(odd)


def test_failed_save_leaves_the_old_file_and_no_temp_files(tmp_path, monkeypatch):
    path = _save(_gan(0), tmp_path / "keep.safetensors")
    before = path.read_bytes()

    def broken_save(tensors, filename, metadata=None):
        with open(filename, "wb") as fh:
            fh.write(b"half a file")
        raise OSError(28, "No space left on device")

    original = checkpoint.save_file
    monkeypatch.setattr(checkpoint, "save_file", broken_save)
    with pytest.raises(OSError, match="No space"):
        _save(_gan(1), path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.safetensors"]
    monkeypatch.setattr(checkpoint, "save_file", original)
    load_checkpoint(path)
    _save(_gan(1), path)  # and a working save replaces it
    assert path.read_bytes() != before


def test_save_replaces_and_creates_folders(tmp_path):
    path = tmp_path / "deep" / "er" / "m.safetensors"
    _save(_gan(0), path)
    _save(_gan(1), path)
    assert torch.equal(load_checkpoint(path).module.sample(1, 0), _gan(1).sample(1, 0))
    assert os.listdir(path.parent) == ["m.safetensors"]
    assert _raw_header(path)["__metadata__"][META_KEY]
