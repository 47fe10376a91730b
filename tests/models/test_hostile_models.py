"""Bad model files: listed as bad, never hiding the others, refused in one plain line.

Covers issue 19's malformed safetensors headers (through the catalog and the command
line), models whose weights are NaN or infinite, pickle files holding things other than
tensors, and configs that ask for a vast network.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save_file

import studio.models.checkpoint as checkpoint
from studio.cli import main
from studio.models.catalog import ModelNotFound, list_models, resolve_model, user_model_dir
from studio.models.checkpoint import (
    META_KEY,
    CheckpointError,
    load_checkpoint,
    metadata_for,
    read_header,
)
from tests.conftest import TINY_DATA, save_tiny, tiny_gan

BAD_OFFSETS = {"null": None, "short": [0], "strings": ["0", "64"]}


def write_bad_header(folder: Path, name: str, offsets: object) -> Path:
    """A file that is a Latent Studio model but for one tensor's data_offsets."""
    meta = json.dumps(metadata_for(tiny_gan(), name=name, data=TINY_DATA))
    header = {
        "__metadata__": {META_KEY: meta},
        "w": {"dtype": "F32", "shape": [16], "data_offsets": offsets},
    }
    text = json.dumps(header).encode()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"\0" * 64)
    return path


@pytest.fixture
def emoji_named(model_dir: Path) -> Path:
    """A tiny GAN shipped under the name the issue used, ``emoji-gan``."""
    return save_tiny(tiny_gan(3), model_dir / "emoji-gan.safetensors", "emoji-gan")


# ---------------------------------------------------------------- catalog


@pytest.mark.parametrize("kind", sorted(BAD_OFFSETS))
def test_a_bad_header_is_listed_as_bad_beside_the_others(model_dir, kind):
    bad = write_bad_header(user_model_dir(), "bad", BAD_OFFSETS[kind])
    entries = {e.name: e for e in list_models()}
    assert set(entries) == {"tiny-gan", "tiny-vae", "bad"}
    assert entries["tiny-gan"].error == "" and entries["tiny-vae"].error == ""
    assert entries["bad"].path == bad and entries["bad"].source == "user"
    assert "bad.safetensors" in entries["bad"].error and "data_offsets" in entries["bad"].error
    assert resolve_model("tiny-gan") == model_dir / "tiny-gan.safetensors"
    with pytest.raises(ModelNotFound, match="bad.safetensors cannot be used"):
        resolve_model("bad")


# ---------------------------------------------------------------- command line


@pytest.mark.parametrize("kind", sorted(BAD_OFFSETS))
def test_models_lists_everything_and_marks_the_bad_file(model_dir, emoji_named, capsys, kind):
    write_bad_header(user_model_dir(), "bad", BAD_OFFSETS[kind])
    assert main(["models"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert set(rows) == {"emoji-gan", "tiny-gan", "tiny-vae", "bad"}
    assert "stylegan" in rows["emoji-gan"] and "bad" in rows["bad"].split()[1:]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("! bad.safetensors: ")
    assert "data_offsets" in lines[0]

    assert main(["models", "--json"]) == 0
    out, err = capsys.readouterr()
    by_name = {e["name"]: e for e in json.loads(out)}
    assert by_name["emoji-gan"]["error"] == "" and by_name["emoji-gan"]["arch"] == "stylegan"
    assert "data_offsets" in by_name["bad"]["error"]


def test_generate_works_while_a_bad_file_sits_in_the_user_folder(
    model_dir, emoji_named, tmp_path, capsys
):
    for kind, offsets in BAD_OFFSETS.items():
        write_bad_header(user_model_dir(), f"bad-{kind}", offsets)
    out = tmp_path / "out"
    assert main(["generate", "--model", "emoji-gan", "--count", "2", "--out", str(out)]) == 0
    assert "Wrote 2 images" in capsys.readouterr().out
    assert sorted(p.name for p in out.glob("*.png")) == [
        "emoji-gan-0-0000.png",
        "emoji-gan-0-0001.png",
    ]
    # Asked for by name, the bad one answers with its problem in one line.
    assert main(["generate", "--model", "bad-null", "--out", str(tmp_path / "o")]) == 1
    _, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and "data_offsets null" in err
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- non-finite weights


def _gan_with(value: float, key: str = "mapping.w_avg") -> torch.nn.Module:
    module = tiny_gan()
    state = module.state_dict()
    state[key].view(-1)[0] = value
    return module


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_weights_are_refused_at_load(tmp_path, value):
    path = save_tiny(_gan_with(value), tmp_path / "nan.safetensors", "nan")
    with pytest.raises(CheckpointError, match="nan.safetensors is damaged") as info:
        load_checkpoint(path)
    assert "mapping.w_avg" in str(info.value) and "not finite" in str(info.value)


def test_weights_that_overflow_fp16_are_refused(tmp_path):
    key = "synthesis.blocks.1.conv0.weight"
    module = _gan_with(1e6, key)  # fine in fp32, infinity once stored as fp16
    meta = metadata_for(module, name="big", data=TINY_DATA)
    path = checkpoint.save_checkpoint(module, tmp_path / "big.safetensors", meta, half=True)
    with pytest.raises(CheckpointError, match=key.replace(".", r"\.")):
        load_checkpoint(path)


def test_a_model_of_all_nan_weights_fails_generate_in_one_line(model_dir, tmp_path, capsys):
    module = tiny_gan()
    for value in module.state_dict().values():
        value.fill_(float("nan"))
    save_tiny(module, model_dir / "void.safetensors", "void")
    assert main(["generate", "--model", "void", "--out", str(tmp_path / "o")]) == 1
    _, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and "not finite" in err
    assert not (tmp_path / "o").exists()  # no black images written


def test_non_finite_extras_are_refused(tmp_path):
    module = tiny_gan()
    meta = metadata_for(module, name="d", data=TINY_DATA)
    extras = {"disc.weight": torch.tensor([1.0, float("nan")])}
    path = checkpoint.save_checkpoint(module, tmp_path / "d.safetensors", meta, extras=extras)
    with pytest.raises(CheckpointError, match="extra.disc.weight"):
        load_checkpoint(path)


def test_finite_weights_still_load_even_when_their_sum_overflows(tmp_path):
    path = save_tiny(_gan_with(3.0), tmp_path / "ok.safetensors", "ok")
    assert load_checkpoint(path).name == "ok"
    module = tiny_gan()
    module.state_dict()["mapping.w_avg"][:2] = 3e38  # finite, but their sum is not
    path = save_tiny(module, tmp_path / "huge.safetensors", "huge")
    loaded = load_checkpoint(path)
    assert float(loaded.module.state_dict()["mapping.w_avg"][1]) == pytest.approx(3e38)


# ---------------------------------------------------------------- pickle and config


@pytest.mark.parametrize("value", [5, "text", [1.0, 2.0], None])
def test_a_weights_only_file_whose_state_holds_non_tensors_is_refused(tmp_path, value):
    module = tiny_gan()
    meta = json.dumps(metadata_for(module, name="p", data=TINY_DATA))
    state = {**module.state_dict(), "mapping.w_avg": value}
    path = tmp_path / "p.pt"
    torch.save({META_KEY: meta, "state_dict": state}, path)
    with pytest.raises(CheckpointError, match="p.pt: state_dict entry 'mapping.w_avg' is not"):
        load_checkpoint(path)


def test_a_weights_only_file_with_nan_weights_is_refused(tmp_path):
    module = _gan_with(float("nan"))
    meta = json.dumps(metadata_for(module, name="p", data=TINY_DATA))
    path = tmp_path / "p.pth"
    torch.save({META_KEY: meta, "state_dict": module.state_dict()}, path)
    with pytest.raises(CheckpointError, match="not finite"):
        load_checkpoint(path)


def test_a_config_asking_for_a_vast_network_is_refused_before_it_is_built(tmp_path, monkeypatch):
    module = tiny_gan()
    meta = metadata_for(module, name="vast", data=TINY_DATA)
    meta["config"].update(channel_base=1 << 20, channel_max=1 << 14)  # billions of weights
    tensors = {k: v.contiguous() for k, v in module.state_dict().items()}
    path = tmp_path / "vast.safetensors"
    save_file(tensors, str(path), metadata={META_KEY: json.dumps(meta)})
    built: list[str] = []
    real_build = checkpoint.build

    def recording_build(name, cfg):
        built.append(name)
        return real_build(name, cfg)

    monkeypatch.setattr(checkpoint, "build", recording_build)
    with pytest.raises(CheckpointError, match="vast.safetensors asks for .* channel_base"):
        load_checkpoint(path)
    assert built == []  # refused from the config alone; nothing allocated


def test_a_config_within_bounds_that_the_weights_do_not_fit_is_refused(tmp_path):
    module = tiny_gan()
    meta = metadata_for(module, name="wide", data=TINY_DATA)
    meta["config"].update(channel_max=64)  # buildable, but not what the tensors are
    tensors = {k: v.contiguous() for k, v in module.state_dict().items()}
    path = tmp_path / "wide.safetensors"
    save_file(tensors, str(path), metadata={META_KEY: json.dumps(meta)})
    with pytest.raises(CheckpointError, match="wide.safetensors: tensor .* has shape"):
        load_checkpoint(path)


def test_a_config_asking_for_endless_layers_is_refused_at_once(tmp_path):
    module = tiny_gan()
    meta = metadata_for(module, name="deep", data=TINY_DATA)
    meta["config"]["mapping_layers"] = 10**9  # would take hours to build, even on meta
    tensors = {k: v.contiguous() for k, v in module.state_dict().items()}
    path = tmp_path / "deep.safetensors"
    save_file(tensors, str(path), metadata={META_KEY: json.dumps(meta)})
    with pytest.raises(CheckpointError, match="deep.safetensors asks for 1,000,000,000"):
        load_checkpoint(path)


def test_a_config_the_module_cannot_build_is_one_error(tmp_path, monkeypatch):
    module = tiny_gan()
    path = save_tiny(module, tmp_path / "odd.safetensors", "odd")

    def broken_build(name, cfg):
        raise RuntimeError("cannot allocate memory\n(a second line from torch)")

    monkeypatch.setattr(checkpoint, "build", broken_build)
    with pytest.raises(CheckpointError, match="odd.safetensors: its config does not build") as e:
        load_checkpoint(path)
    assert str(e.value).endswith("cannot allocate memory")  # one line


# ---------------------------------------------------------------- properties

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-5, 2**70)
    | st.integers(0, 300)
    | st.floats()
    | st.text(max_size=4)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
TINY_TENSORS = {k: v.contiguous() for k, v in tiny_gan().state_dict().items()}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for every example (Hypothesis runs many per test)."""
    return tmp_path_factory.mktemp("fuzz")


def _load_or_refuse(folder: Path, meta_text: str) -> None:
    path = folder / "fuzz.safetensors"
    save_file(TINY_TENSORS, str(path), metadata={META_KEY: meta_text})
    try:
        read_header(path)
        load_checkpoint(path)
    except CheckpointError as exc:
        assert str(exc) and "fuzz.safetensors" in str(exc) and "\n" not in str(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_config_values_load_or_are_refused(scratch, data):
    meta = metadata_for(tiny_gan(), name="fuzz", data=TINY_DATA)
    for key in data.draw(st.lists(st.sampled_from(sorted(meta["config"])), max_size=3)):
        meta["config"][key] = data.draw(json_values)
    for key in data.draw(st.lists(st.sampled_from(sorted(meta)), max_size=2)):
        meta[key] = data.draw(json_values)
    _load_or_refuse(scratch, json.dumps(meta))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40) | json_values.map(json.dumps))
def test_any_metadata_text_loads_or_is_refused(scratch, text):
    _load_or_refuse(scratch, text)
