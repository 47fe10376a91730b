"""CLI workflows: scan, publish, metrics, render from a recipe, the gallery headless."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from conftest import save_tiny_features
from PIL import Image

from studio.cli import main
from studio.imaging.metadata import read_recipe


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB")).copy()


def test_data_scan_reports_and_fails_on_empty(shapes_dir: Path, tmp_path: Path, capsys) -> None:
    (shapes_dir / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    assert main(["data", "scan", str(shapes_dir), "-v"]) == 0
    out = capsys.readouterr().out
    assert "24 images usable, 1 skipped" in out and "broken.png: corrupt" in out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["data", "scan", str(empty)]) == 1
    assert "no usable images" in capsys.readouterr().err


def test_generate_then_render_gives_the_same_pixels(model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "gen"
    assert (
        main(
            [
                "generate",
                "--model",
                "tiny-gan",
                "--count",
                "5",
                "--seed",
                "3",
                "--truncation",
                "0.8",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    for path in sorted(out.glob("*.png"))[:3]:
        recipe = read_recipe(path.read_bytes())
        assert recipe is not None and recipe["grid"][2] == int(path.stem.split("-")[-1])
        assert main(["render", str(path), "--out", str(tmp_path / "again")]) == 0
        remade = tmp_path / "again" / f"{path.stem}-render.png"
        assert np.array_equal(_pixels(remade), _pixels(path))


def test_render_refuses_a_plain_image(tmp_path: Path, capsys) -> None:
    Image.new("RGB", (8, 8)).save(tmp_path / "plain.png")
    assert main(["render", str(tmp_path / "plain.png"), "--out", str(tmp_path)]) == 1
    assert "no Latent Studio recipe" in capsys.readouterr().err


def test_gallery_import_list_export_morph(model_dir: Path, tmp_path: Path, capsys) -> None:
    gen = tmp_path / "gen"
    assert (
        main(["generate", "--model", "tiny-gan", "--count", "3", "--seed", "1", "--out", str(gen)])
        == 0
    )
    files = sorted(str(p) for p in gen.glob("*.png"))
    (tmp_path / "junk.png").write_bytes(b"")
    assert main(["gallery", "import", *files, str(tmp_path / "junk.png")]) == 1
    capsys.readouterr()
    assert main(["gallery", "list", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert len(items) == 3 and all(i["model"] == "tiny-gan" for i in items)
    ids = [str(i["id"]) for i in items]
    folder = tmp_path / "ëxport ☃"
    assert (
        main(["gallery", "export", *ids, "--out", str(folder), "--format", "jpeg", "--scale", "2"])
        == 0
    )
    assert main(["gallery", "export", *ids, "--out", str(folder), "--format", "jpeg"]) == 0
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == 6, "a second export must not overwrite the first"
    with Image.open(folder / written[0]) as img:
        assert img.size in ((64, 64), (32, 32))
    gif = tmp_path / "morph.gif"
    assert (
        main(
            [
                "gallery",
                "morph",
                *ids[:2],
                "--out",
                str(gif),
                "--frames",
                "6",
                "--loop",
                "pingpong",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    with Image.open(gif) as img:
        assert img.n_frames == 10  # 6 frames there, 4 back without repeating the ends
        assert b"AI-generated" in img.info.get("comment", b"")


def test_publish_and_metrics(shapes_dir: Path, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "gan",
                "--data",
                str(shapes_dir),
                "--run",
                str(run),
                "--steps",
                "2",
                "--resolution",
                "32",
                "--batch",
                "4",
                "--checkpoint-every",
                "2",
                "--model-option",
                "z_dim=8",
                "--model-option",
                "w_dim=16",
                "--model-option",
                "mapping_layers=2",
                "--model-option",
                "channel_base=128",
                "--model-option",
                "channel_max=16",
            ]
        )
        == 0
    )
    assert main(["publish", str(run), "--name", "mine"]) == 0
    capsys.readouterr()
    assert main(["models", "--json"]) == 0
    names = [m["name"] for m in json.loads(capsys.readouterr().out)]
    assert "mine" in names
    from studio.models.catalog import user_model_dir

    save_tiny_features(user_model_dir(), "feat")
    assert (
        main(
            [
                "metrics",
                "--model",
                "mine",
                "--data",
                str(shapes_dir),
                "--features",
                "feat",
                "--count",
                "16",
                "--json",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["features"] == "studio features" and report["fake_images"] == 16
    assert report["fid"] > 0
    assert report["class_match"] is None  # an unconditional model has no classes to match
    assert (
        main(["metrics", "--model", "mine", "--data", str(shapes_dir), "--features", "mine"]) == 1
    )
    assert "not a feature network" in capsys.readouterr().err
    out = tmp_path / "nope"
    assert main(["generate", "--model", "feat", "--count", "1", "--out", str(out)]) == 1
    assert "does not draw images" in capsys.readouterr().err
