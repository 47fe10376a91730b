"""Finding models: shipped and user folders, broken files listed, names resolved."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from studio.models.catalog import (
    ModelNotFound,
    list_models,
    resolve_model,
    shipped_model_dir,
    user_model_dir,
)
from studio.models.checkpoint import metadata_for, save_checkpoint
from studio.models.vae import ConvVAE, VAEConfig


def _user_vae(name: str) -> Path:
    torch.manual_seed(1)
    vae = ConvVAE(VAEConfig(resolution=16, latent_dim=4, base_channels=2, max_channels=4))
    meta = metadata_for(vae, name=name, data={"name": "mine", "licence": "mine"})
    return save_checkpoint(vae, user_model_dir() / f"{name}.safetensors", meta)


def _broken_user_file() -> Path:
    user_model_dir().mkdir(parents=True, exist_ok=True)
    p = user_model_dir() / "broken.safetensors"
    p.write_bytes(os.urandom(300))
    return p


def test_folders_follow_the_environment(model_dir, isolated_home):
    assert shipped_model_dir() == model_dir
    assert user_model_dir() == isolated_home / "models"


def test_lists_shipped_and_user_models_and_broken_files(model_dir):
    mine = _user_vae("my-vae")
    broken = _broken_user_file()
    entries = list_models()
    by_name = {e.name: e for e in entries}
    assert [e.name for e in entries[:2]] == ["tiny-gan", "tiny-vae"]  # shipped first
    assert {"tiny-gan", "tiny-vae", "my-vae", "broken"} == set(by_name)
    assert by_name["tiny-gan"].source == "shipped" and by_name["tiny-gan"].error == ""
    assert by_name["tiny-gan"].arch == "stylegan" and by_name["tiny-gan"].kind == "gan"
    assert by_name["tiny-gan"].resolution == 32
    assert by_name["tiny-gan"].licence == "CC0"
    assert by_name["my-vae"].source == "user" and by_name["my-vae"].path == mine
    assert by_name["my-vae"].data_name == "mine" and by_name["my-vae"].resolution == 16
    assert by_name["broken"].error  # listed, with its problem
    assert by_name["broken"].path == broken
    d = by_name["broken"].as_dict()
    assert d["error"] and d["source"] == "user"


def test_a_model_whose_metadata_has_odd_types_is_listed_with_its_problem(model_dir, capsys):
    torch.manual_seed(1)
    vae = ConvVAE(VAEConfig(resolution=16, latent_dim=4, base_channels=2, max_channels=4))
    meta = metadata_for(vae, name="odd", data=7)  # another program's idea of "data"
    save_checkpoint(vae, user_model_dir() / "odd.safetensors", meta)
    odd = {e.name: e for e in list_models()}["odd"]
    assert "'data' should be an object" in odd.error
    assert odd.data_name == "?" and odd.licence == "?"
    with pytest.raises(ModelNotFound, match="odd.safetensors cannot be used: .*'data'"):
        resolve_model("odd")  # asked for by name: its problem, not "unknown model"

    from studio.cli.parser import main

    assert main(["models"]) == 0  # listed, not a traceback
    out, err = capsys.readouterr()
    assert "tiny-gan" in out and "odd.safetensors: " in err and "'data'" in err


def test_entries_say_their_steps_and_what_they_were_fine_tuned_from(tmp_path):
    from studio.models.catalog import ModelEntry

    def entry(training: dict) -> ModelEntry:
        return ModelEntry("m", tmp_path / "m.safetensors", {"training": training}, 1, "user")

    child = entry({"steps": 2000, "fine_tuned_from": {"name": "base", "steps": 12250}})
    assert child.steps == 2000 and child.parent == "base (12,250 steps)"
    assert child.as_dict()["fine_tuned_from"] == "base (12,250 steps)"
    assert entry({"fine_tuned_from": {"model": "/x/base.safetensors"}}).parent == (
        "/x/base.safetensors"
    )
    scratch = entry({"steps": 10})
    assert scratch.parent == "" and scratch.steps == 10
    odd = entry({"steps": "many", "fine_tuned_from": "base"})
    assert odd.steps == 0 and odd.parent == ""
    assert ModelEntry("n", tmp_path, {}, 1, "user").parent == ""


def test_missing_folders_list_nothing(tmp_path):
    assert list_models() == []
    assert list_models([tmp_path / "nowhere"]) == []


def test_resolve_by_name_and_path(model_dir):
    mine = _user_vae("my-vae")
    assert resolve_model("tiny-gan") == model_dir / "tiny-gan.safetensors"
    assert resolve_model("my-vae") == mine
    assert resolve_model(str(mine)) == mine
    with pytest.raises(ModelNotFound, match="No model file"):
        resolve_model(str(model_dir / "nope.safetensors"))


def test_resolve_by_stem_when_the_name_differs(model_dir):
    torch.manual_seed(0)
    vae = ConvVAE(VAEConfig(resolution=16, latent_dim=4, base_channels=2, max_channels=4))
    path = save_checkpoint(
        vae, user_model_dir() / "file-stem.safetensors", metadata_for(vae, name="Pretty Name")
    )
    assert resolve_model("Pretty Name") == path
    assert resolve_model("file-stem") == path


def test_unknown_name_lists_the_known_ones_but_not_broken_files(model_dir):
    _broken_user_file()
    with pytest.raises(ModelNotFound) as info:
        resolve_model("emoji-gan")
    message = str(info.value)
    assert "emoji-gan" in message
    assert "tiny-gan" in message and "tiny-vae" in message
    assert "broken" not in message
    with pytest.raises(ModelNotFound, match="broken"):
        resolve_model("broken")  # a broken file is not resolvable by name


def test_unknown_name_with_no_models():
    with pytest.raises(ModelNotFound, match="none"):
        resolve_model("anything")
