"""The command line, in-process and as a real ``python -m studio`` subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import studio.training.emoji as emoji
from studio.cli import main
from studio.imaging.metadata import DIGITAL_SOURCE_TYPE, read_recipe
from studio.models.checkpoint import file_sha256, load_checkpoint

GAN_OPTIONS = [
    "--resolution",
    "32",
    "--batch",
    "4",
    "--device",
    "cpu",
    "--checkpoint-every",
    "2",
    "--preview-every",
    "2",
    *("--model-option", "z_dim=8"),
    *("--model-option", "w_dim=16"),
    *("--model-option", "mapping_layers=2"),
    *("--model-option", "channel_base=128"),
    *("--model-option", "channel_max=16"),
]


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB")).copy()


def _fails_with_one_line(capsys, argv: list[str], *needles: str) -> str:
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == 1, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("latent-studio: ")
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1"}


# ---------------------------------------------------------------- models


def test_models_lists_the_tiny_models(model_dir, capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "ARCH", "RES", "DATA", "LICENCE", "SIZE"]
    gan = next(line for line in lines if line.startswith("tiny-gan"))
    assert "stylegan" in gan and "32px" in gan and "CC0" in gan
    assert any(line.startswith("tiny-vae") and " vae " in line for line in lines)


def test_models_json_and_broken_files(model_dir, capsys):
    (model_dir / "broken.safetensors").write_bytes(b"\x00" * 64)
    assert main(["models", "--json"]) == 0
    captured = capsys.readouterr()
    entries = json.loads(captured.out)
    by_name = {e["name"]: e for e in entries}
    assert by_name["tiny-gan"]["arch"] == "stylegan" and by_name["tiny-gan"]["error"] == ""
    assert by_name["broken"]["error"]
    assert main(["models"]) == 0
    assert "! broken.safetensors:" in capsys.readouterr().err


def test_models_when_there_are_none(capsys):
    assert main(["models"]) == 0
    assert "No models found" in capsys.readouterr().out


# ---------------------------------------------------------------- generate


def test_generate_writes_images_with_recipes_and_a_grid(model_dir, tmp_path, capsys):
    out, grid = tmp_path / "out", tmp_path / "sheet" / "grid.png"
    argv = ["generate", "--model", "tiny-gan", "--count", "4", "--seed", "7"]
    assert main([*argv, "--out", str(out), "--grid", str(grid)]) == 0
    assert "Wrote 4 images" in capsys.readouterr().out
    files = sorted(out.glob("*.png"))
    assert [f.name for f in files] == [f"tiny-gan-7-{i:04d}.png" for i in range(4)]
    assert _pixels(grid).shape == (2 * 34 + 2, 2 * 34 + 2, 3)  # 2×2 tiles of 32 px, gap 2
    assert DIGITAL_SOURCE_TYPE.encode() in grid.read_bytes()
    model = load_checkpoint(model_dir / "tiny-gan.safetensors")
    latents = model.module.sample_latents(4, 7).numpy()
    sha = file_sha256(model_dir / "tiny-gan.safetensors")
    for i, f in enumerate(files):
        data = f.read_bytes()
        recipe = read_recipe(data)
        assert recipe["model"] == "tiny-gan" and recipe["seed"] == 7
        assert recipe["index"] == i and recipe["truncation"] == 1.0
        assert recipe["model_sha256"] == sha
        assert np.allclose(recipe["latent"], latents[i])
        assert DIGITAL_SOURCE_TYPE.encode() in data
        assert _pixels(f).shape == (32, 32, 3)
    # Same command, same pixels.
    again = tmp_path / "again"
    assert main([*argv, "--out", str(again)]) == 0
    for f in files:
        assert np.array_equal(_pixels(f), _pixels(again / f.name))
    other = tmp_path / "other"
    assert main(["generate", "--model", "tiny-gan", "--count", "1", "--out", str(other)]) == 0
    assert not np.array_equal(_pixels(files[0]), _pixels(next(other.glob("*.png"))))


def test_generate_from_a_model_path(model_dir, tmp_path, capsys):
    path = model_dir / "tiny-vae.safetensors"
    out = tmp_path / "out"
    assert main(["generate", "--model", str(path), "--count", "2", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == [
        "tiny-vae-0-0000.png",
        "tiny-vae-0-0001.png",
    ]


def test_render_remakes_a_generated_image_from_its_recipe(model_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert (
        main(["generate", "--model", "tiny-gan", "--count", "3", "--seed", "4", "--out", str(out)])
        == 0
    )
    source = out / "tiny-gan-4-0002.png"
    assert main(["render", str(source), "--out", str(tmp_path / "r"), "--device", "cpu"]) == 0
    remade = tmp_path / "r" / "tiny-gan-4-0002-render.png"
    diff = np.abs(_pixels(remade).astype(int) - _pixels(source).astype(int))
    assert diff.max() <= 1  # see the batch-size note in tests/pipelines
    assert read_recipe(remade.read_bytes())["seed"] == 4


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--model", "emoji-gan"], "Unknown model 'emoji-gan'"),
        (["--model", "tiny-gan", "--count", "0"], "--count"),
        (["--model", "tiny-gan", "--count", "5000"], "--count"),
        (["--model", "tiny-gan", "--truncation", "3"], "--truncation"),
        (["--model", "/nowhere/model.safetensors"], "No model file"),
        (["--model", "tiny-gan", "--device", "plasma"], "Unknown device"),
    ],
)
def test_generate_errors_are_one_line(model_dir, tmp_path, capsys, args, needle):
    _fails_with_one_line(capsys, ["generate", *args, "--out", str(tmp_path / "o")], needle)


def test_generate_unknown_model_names_the_known_ones(model_dir, tmp_path, capsys):
    line = _fails_with_one_line(
        capsys, ["generate", "--model", "nope", "--out", str(tmp_path / "o")], "tiny-gan"
    )
    assert "tiny-vae" in line


def test_generate_into_a_file_instead_of_a_folder(model_dir, tmp_path, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("a file where the folder should be")
    _fails_with_one_line(
        capsys, ["generate", "--model", "tiny-gan", "--out", str(blocker)], "Cannot create"
    )
    _fails_with_one_line(
        capsys, ["generate", "--model", "tiny-gan", "--out", str(blocker / "sub")], "taken"
    )


def test_generate_from_a_bad_checkpoint_file(model_dir, tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(os.urandom(512))
    _fails_with_one_line(
        capsys, ["generate", "--model", str(bad), "--out", str(tmp_path / "o")], "bad.safetensors"
    )
    pickled = tmp_path / "old.pt"
    torch.save({"anything": 1}, pickled)
    _fails_with_one_line(
        capsys, ["generate", "--model", str(pickled), "--out", str(tmp_path / "o")], "old.pt"
    )


# ---------------------------------------------------------------- train / export / data


def test_train_resume_and_export(shapes_dir, tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["train", "gan", "--data", str(shapes_dir), "--run", str(run), "--steps", "3"]
    assert main([*argv, *GAN_OPTIONS, "--coverage", "2", "--coverage-every", "2"]) == 0
    state = torch.load(run / "state.pt", weights_only=True)
    assert state["step"] == 3
    assert state["coverage"]["made_at"] == 2  # assigned at steps 0 and 2
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert all("coverage" in entry for entry in log if "loss_g" in entry)
    assert sorted(p.name for p in (run / "previews").glob("*.png")) == [
        "step-0000002.png",
        "step-0000003.png",
    ]
    capsys.readouterr()
    started = json.loads((run / "run.json").read_text())
    assert started["cpu_bf16"] is False
    assert (started["coverage"], started["coverage_every"]) == (2.0, 2)
    resume = ["train", "gan", "--run", str(run), "--resume", "--steps", "5", "--cpu-bf16"]
    assert main(resume) == 0
    assert torch.load(run / "state.pt", weights_only=True)["step"] == 5
    saved = json.loads((run / "run.json").read_text())
    assert saved["steps"] == 5 and saved["cpu_bf16"] is True
    capsys.readouterr()
    models = tmp_path / "models"
    assert main(["export", str(run), "--name", "cli-gan", "--out", str(models)]) == 0
    out = capsys.readouterr().out
    assert "Exported cli-gan" in out and "Measured:" in out and "sample_diversity" in out
    model = load_checkpoint(models / "cli-gan.safetensors")
    assert model.meta["training"]["steps"] == 5 and model.meta["config"]["z_dim"] == 8
    gen = tmp_path / "gen"
    argv = ["generate", "--model", str(models / "cli-gan.safetensors"), "--count", "2"]
    assert main([*argv, "--out", str(gen)]) == 0
    assert len(list(gen.glob("*.png"))) == 2


def test_train_vae_runs(shapes_dir, tmp_path, capsys):
    run = tmp_path / "vrun"
    argv = ["train", "vae", "--data", str(shapes_dir), "--run", str(run), "--steps", "2"]
    options = ["--resolution", "32", "--batch", "4", "--device", "cpu"]
    options += ["--model-option", "latent_dim=8", "--model-option", "base_channels=4"]
    assert main([*argv, *options, "--model-option", "max_channels=16"]) == 0
    assert torch.load(run / "state.pt", weights_only=True)["step"] == 2


def test_train_on_an_empty_folder_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    argv = ["train", "gan", "--data", str(tmp_path / "empty"), "--run", str(tmp_path / "r")]
    _fails_with_one_line(capsys, [*argv, "--steps", "2", *GAN_OPTIONS], "no image files")


def test_train_errors_are_one_line(shapes_dir, tmp_path, capsys):
    _fails_with_one_line(
        capsys, ["train", "gan", "--run", str(tmp_path / "r"), "--steps", "2"], "--data"
    )
    _fails_with_one_line(
        capsys,
        ["train", "gan", "--data", str(tmp_path / "missing"), "--run", str(tmp_path / "r2")],
        "does not exist",
    )
    _fails_with_one_line(
        capsys,
        ["train", "gan", "--run", str(tmp_path / "none"), "--resume", "--steps", "4"],
        "not a training run",
    )
    argv = ["train", "gan", "--data", str(shapes_dir), "--run", str(tmp_path / "r3")]
    _fails_with_one_line(capsys, [*argv, "--steps", "2", *GAN_OPTIONS[:-2], "--resolution", "48"])
    _fails_with_one_line(capsys, [*argv, *GAN_OPTIONS, "--coverage", "-1"], "must be ≥ 0")


def test_bad_model_options_fail_cleanly_and_can_be_retried(shapes_dir, tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["train", "gan", "--data", str(shapes_dir), "--run", str(run), "--steps", "1"]
    _fails_with_one_line(capsys, [*argv, *GAN_OPTIONS, "--model-option", "z_dimm=8"], "z_dimm")
    _fails_with_one_line(capsys, [*argv, *GAN_OPTIONS, "--resolution", "48"], "48")
    assert main([*argv, *GAN_OPTIONS]) == 0


def test_a_wrong_model_to_fine_tune_fails_cleanly_and_can_be_retried(
    model_dir, shapes_dir, tmp_path, capsys
):
    run = tmp_path / "run"
    argv = ["train", "gan", "--data", str(shapes_dir), "--run", str(run), "--steps", "1"]
    (model_dir / "broken.safetensors").write_bytes(b"\x00" * 64)
    _fails_with_one_line(capsys, [*argv, "--from", "tiny-ganx"], "Unknown model 'tiny-ganx'")
    _fails_with_one_line(capsys, [*argv, "--from", "broken"], "broken.safetensors cannot be used")
    _fails_with_one_line(capsys, [*argv, "--from", "tiny-vae"], "cannot start a GAN run")
    assert not run.exists()  # nothing left behind, so the same --run works next time
    assert main([*argv, "--from", "tiny-gan", "--batch", "4"]) == 0
    assert json.loads((run / "run.json").read_text())["init_lineage"]["name"] == "tiny-gan"


def test_export_errors_are_one_line(tmp_path, capsys):
    _fails_with_one_line(capsys, ["export", str(tmp_path), "--name", "../evil"], "name")
    _fails_with_one_line(
        capsys, ["export", str(tmp_path / "none"), "--name", "x"], "not a training run"
    )


def test_data_emoji_missing_font_names_the_package(tmp_path, capsys):
    argv = ["data", "emoji", "--font", "/nonexistent/NotoColorEmoji.ttf"]
    _fails_with_one_line(capsys, [*argv, "--out", str(tmp_path / "e")], "fonts-noto-color-emoji")
    _fails_with_one_line(capsys, ["data", "emoji", "--size", "8", "--out", str(tmp_path)], "--size")


def test_data_emoji_writes_a_folder(tmp_path, capsys, monkeypatch):
    try:
        font = emoji.find_emoji_font()
    except emoji.FontError:
        pytest.skip("no CBDT emoji font here (install fonts-noto-color-emoji)")
    subset = emoji.iter_cbdt_bitmaps(font)[:3]
    monkeypatch.setattr(emoji, "iter_cbdt_bitmaps", lambda path: subset)
    out = tmp_path / "emoji"
    assert main(["data", "emoji", "--out", str(out), "--size", "24"]) == 0
    assert "Wrote 3 emoji images" in capsys.readouterr().out
    pngs = list(out.glob("*.png"))
    assert len(pngs) == 3 and all(_pixels(p).shape == (24, 24, 3) for p in pngs)
    assert json.loads((out / "DATASET.json").read_text())["count"] == 3


def test_data_emoji_singles_passes_through(tmp_path, capsys, monkeypatch):
    calls: list[dict] = []

    def fake_build(
        out, size, font, progress, singles=False, classes=None, emoji_test=None, groups=None
    ):
        calls.append(
            {"size": size, "singles": singles, "classes": classes, "test": emoji_test, "g": groups}
        )
        return 0, []

    monkeypatch.setattr(emoji, "build_emoji_folder", fake_build)
    out = str(tmp_path / "e")
    assert main(["data", "emoji", "--out", out, "--singles"]) == 0
    assert main(["data", "emoji", "--out", out]) == 0
    assert main(["data", "emoji", "--out", out, "--classes", "group", "--emoji-test", "t"]) == 0
    assert main(["data", "emoji", "--out", out, "--only", "heart", "--only", "cat-face"]) == 0
    assert calls == [
        {"size": 64, "singles": True, "classes": None, "test": None, "g": None},
        {"size": 64, "singles": False, "classes": None, "test": None, "g": None},
        {"size": 64, "singles": False, "classes": "group", "test": "t", "g": None},
        {"size": 64, "singles": False, "classes": None, "test": None, "g": ["heart", "cat-face"]},
    ]


def test_data_emoji_full_disk_and_ctrl_c_are_one_line(tmp_path, capsys, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(emoji, "build_emoji_folder", full)
    out = tmp_path / "e"
    argv = ["data", "emoji", "--out", str(out)]
    _fails_with_one_line(capsys, argv, "Could not write the images", "No space left on device")
    assert not out.exists()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(emoji, "build_emoji_folder", interrupted)
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert err.strip() == "latent-studio: stopped." and not out.exists()


# ---------------------------------------------------------------- a real process


def test_python_m_studio_generate_matches_in_process(model_dir, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "studio", "generate", "--model", "tiny-gan"]
    cmd += ["--count", "2", "--seed", "7", "--out", str(out), "--device", "cpu"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Wrote 2 images" in proc.stdout
    assert (
        main(
            [
                "generate",
                "--model",
                "tiny-gan",
                "--count",
                "2",
                "--seed",
                "7",
                "--out",
                str(tmp_path / "in"),
            ]
        )
        == 0
    )
    for name in ("tiny-gan-7-0000.png", "tiny-gan-7-0001.png"):
        assert np.array_equal(_pixels(out / name), _pixels(tmp_path / "in" / name))


def test_python_m_studio_error_is_one_line(tmp_path):
    cmd = [sys.executable, "-m", "studio", "data", "emoji", "--font", "/nonexistent/x.ttf"]
    proc = subprocess.run(
        [*cmd, "--out", str(tmp_path / "e")],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("latent-studio: No font file at")
    assert "fonts-noto-color-emoji" in lines[0] and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def _emoji_test(folder: Path) -> Path:
    path = folder / "emoji-test-ok.txt"
    path.write_text("# group: Smileys & Emotion\n# subgroup: heart\n2764 FE0F ; fully-qualified\n")
    return path


def test_data_emoji_refused_inputs_leave_no_folder(tmp_path, capsys):
    junk = tmp_path / "emoji-test.txt"
    junk.write_text("not the file you are looking for\n")
    for extra in (
        ["--font", str(tmp_path / "missing.ttf")],
        ["--classes", "subgroup", "--emoji-test", str(junk)],
        ["--classes", "subgroup", "--emoji-test", str(tmp_path / "missing.txt")],
        ["--only", "smileys", "--emoji-test", str(_emoji_test(tmp_path))],
    ):
        out = tmp_path / "made" / "here"
        assert main(["data", "emoji", "--out", str(out), *extra]) == 1, extra
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
        assert not out.exists(), extra
    kept = tmp_path / "kept"
    kept.mkdir()
    assert main(["data", "emoji", "--out", str(kept), "--font", str(tmp_path / "x.ttf")]) == 1
    assert kept.is_dir(), "a folder that was there before stays"
