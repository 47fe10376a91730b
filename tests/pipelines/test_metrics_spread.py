"""KID's spread over real subsets, and the word when a set is too small for FID."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY_FIELDS, make_shapes_folder

from studio.cli import main
from studio.pipelines.metrics import FID_MIN_PER_DIM, fid_warning, kid, kid_subset_size


def _sets(n: int, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)), rng.normal(0.3, 1.0, size=(n, dim))


def test_kid_spread_is_measured_over_different_subsets_of_a_small_set():
    a, b = _sets(32)
    mean, std = kid(a, b)
    # Subsets as big as the set are all the same set: a std of rounding noise (4e-16).
    assert std > 1e-3 * abs(mean)
    assert kid_subset_size(32, 32) == 16 and kid_subset_size(32, 200) == 16
    assert kid(a, b) == (mean, std)  # seeded
    assert kid(a, b, seed=1) != (mean, std)


def test_kid_subsets_of_a_large_set_keep_the_usual_size():
    assert kid_subset_size(5000, 3000) == 500
    assert kid_subset_size(1000, 1000) == 500
    assert kid_subset_size(3, 3) == 3 and kid_subset_size(1, 9) == 1
    a, b = _sets(1200)
    mean, std = kid(a, b)
    assert mean > 0 and std > 0
    assert np.isnan(kid(a[:1], b[:1])[0])  # one image: no estimate, not a crash


def test_kid_mean_is_unbiased_for_small_sets():
    # The mean over subsets agrees with the full-set unbiased estimate on average.
    a, b = _sets(600, seed=3)
    full = kid(a, b, subset_size=600, subsets=1)[0]  # one subset of 300 per set
    assert abs(kid(a, b, subsets=200)[0] - full) < 0.5 * abs(full) + 0.02


@pytest.mark.parametrize(("real", "fake", "warned"), [(32, 32, False), (31, 500, True)])
def test_fid_warning_below_twice_the_feature_size(real, fake, warned):
    text = fid_warning(real, fake, 16)
    assert bool(text) is warned
    if warned:
        assert "\n" not in text and "31 real images" in text
        assert str(FID_MIN_PER_DIM * 16) in text


def _tiny_gan_file(tmp_path):
    from conftest import save_tiny, tiny_gan

    return save_tiny(tiny_gan(), tmp_path / "g.safetensors", "g")


def test_metrics_cli_warns_about_small_sets_and_shows_the_spread(
    tmp_path, capsys, features_installed
):
    model = _tiny_gan_file(tmp_path)
    small = make_shapes_folder(tmp_path / "small", count=12, size=32)
    argv = ["metrics", "--model", str(model), "--device", "cpu"]
    assert main([*argv, "--data", str(small)]) == 0
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: FID from 12 ")
    kid_line = next(line for line in out.splitlines() if "KID" in line)
    assert "subsets of 6 images" in kid_line
    assert float(kid_line.split("±")[1].split()[0]) > 0  # a real spread, shown
    # The tiny feature network has 16 features: 32 images of each set are enough.
    enough = make_shapes_folder(tmp_path / "enough", count=32, size=32)
    assert main([*argv, "--data", str(enough), "--json"]) == 0
    out, err = capsys.readouterr()
    assert "warning" not in err
    import json

    report = json.loads(out)
    assert report["fid_warning"] == "" and report["kid_subset"] == 16 and report["kid_std"] > 0


def test_export_stores_the_fid_warning_with_the_figures(tmp_path, features_installed):
    from studio.training.export import export_run
    from studio.training.run import TrainConfig
    from studio.training.session import open_run, run_training

    data = make_shapes_folder(tmp_path / "few", count=10, size=32)
    cfg = TrainConfig(
        kind="gan",
        data=str(data),
        steps=1,
        batch=4,
        device="cpu",
        model=TINY_FIELDS["gan"],
    )
    run = open_run(tmp_path / "run", cfg, resume=False)
    list(run_training(run))
    _, meta = export_run(run.path, "few-gan", out=tmp_path / "models")
    figures = meta["figures"]
    assert figures["studio_real_images"] == 10
    assert figures["studio_fid_warning"].startswith("FID from 10 ")
