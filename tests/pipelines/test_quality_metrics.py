"""FID/KID/precision/recall: about zero for identical sets, clearly positive when shifted."""

from __future__ import annotations

import numpy as np
import torch

from studio.models.checkpoint import LoadedModel
from studio.models.features import FeatureNet, FeaturesConfig
from studio.pipelines.metrics import compare, fid, inception_style_score, kid, precision_recall


def _net() -> LoadedModel:
    torch.manual_seed(0)
    module = FeatureNet(FeaturesConfig(resolution=32, num_classes=3, width=4, feature_dim=16))
    module.eval()
    from pathlib import Path

    return LoadedModel(module, "features", "features", {"label": "studio features"}, Path("x"))


def test_statistics_on_feature_arrays() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 16))
    assert fid(a, a) < 1e-6
    assert kid(a, a)[0] < 1e-6
    shifted = a + 1.0
    assert fid(a, shifted) > 10
    assert kid(a, shifted)[0] > 0.1
    p, r = precision_recall(a, a)
    assert p == 1.0 and r == 1.0
    p, r = precision_recall(a, shifted + 5)
    assert p < 0.1 and r < 0.1


def test_inception_style_score_bounds() -> None:
    uniform = np.full((10, 4), 0.25)
    assert abs(inception_style_score(uniform) - 1.0) < 1e-6
    confident = np.eye(4)[np.arange(12) % 4] * 0.999 + 0.00025
    assert inception_style_score(confident) > 3.5


def test_compare_images_identical_and_shifted() -> None:
    rng = np.random.default_rng(1)
    real = rng.integers(0, 200, (64, 32, 32, 3), dtype=np.uint8)
    same = compare(_net(), real, real.copy())
    assert same.fid < 1e-12 and same.features == "studio features"
    assert same.precision == 1.0 and same.recall == 1.0
    brighter = np.clip(real.astype(int) + 60, 0, 255).astype(np.uint8)
    other = compare(_net(), real, brighter)
    # An untrained network's features are small in scale: compare relatively.
    assert other.fid > 1e6 * max(same.fid, 1e-18) and other.kid > abs(same.kid)
    assert other.precision < 1.0 and other.recall < 1.0


def test_standard_inception_weights_are_used_and_labelled(tmp_path) -> None:
    from studio.models.inception import STANDARD_LABEL, FIDInception
    from studio.pipelines.metrics import standard_inception

    torch.manual_seed(0)
    path = tmp_path / "pt_inception.pth"
    torch.save(FIDInception().state_dict(), path)
    net = standard_inception(str(path))
    rng = np.random.default_rng(0)
    real = rng.integers(0, 255, (6, 32, 32, 3), dtype=np.uint8)
    report = compare(net, real, real[::-1].copy(), net.meta["label"])
    assert report.features == STANDARD_LABEL and report.real_images == 6


def test_wrong_or_pickled_inception_files_are_refused(tmp_path) -> None:
    import pytest

    from studio.pipelines.metrics import standard_inception

    wrong = tmp_path / "wrong.pth"
    torch.save({"fc.weight": torch.zeros(3, 3)}, wrong)
    with pytest.raises(ValueError, match="not the FID Inception"):
        standard_inception(str(wrong))

    class Payload:
        def __reduce__(self):
            return (print, ("pwned",))

    evil = tmp_path / "evil.pth"
    torch.save({"x": Payload()}, evil)
    with pytest.raises(ValueError, match="pickled code is refused"):
        standard_inception(str(evil))
