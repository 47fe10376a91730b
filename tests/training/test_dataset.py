"""Folder datasets: stable disjoint splits, skipped files with reasons, batch order."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio.training.dataset import BatchOrder, DatasetError, in_holdout, load_folder, to_tensor


def _add_images(folder, names, seed=1):
    rng = np.random.default_rng(seed)
    for name in names:
        img = np.full((40, 40, 3), 255, np.uint8)
        y, x = rng.integers(0, 20, 2)
        img[y : y + 15, x : x + 12] = rng.integers(0, 256, 3)
        img[::7] = rng.integers(0, 256, 3)
        Image.fromarray(img).save(folder / name)


def test_loads_images_at_the_resolution(shapes_dir):
    data = load_folder(shapes_dir, 32, split="all")
    assert data.images.shape[1:] == (32, 32, 3) and data.images.dtype == np.uint8
    assert len(data) == data.images.shape[0] >= 20
    assert data.paths == sorted(data.paths)
    assert data.skipped == []


def test_train_and_holdout_are_disjoint_complete_and_stable(shapes_dir):
    train = load_folder(shapes_dir, 32, split="train", holdout=0.3)
    held = load_folder(shapes_dir, 32, split="holdout", holdout=0.3)
    everything = load_folder(shapes_dir, 32, split="all", holdout=0.3)
    assert len(held) > 0 and len(train) > len(held)
    assert not set(train.paths) & set(held.paths)
    assert set(train.paths) | set(held.paths) == set(everything.paths)
    assert all(in_holdout(p, 0.3) for p in held.paths)
    again = load_folder(shapes_dir, 32, split="train", holdout=0.3)
    assert again.paths == train.paths and np.array_equal(again.images, train.images)
    # Adding files never moves an existing file between the splits.
    _add_images(shapes_dir, [f"extra-{i}.png" for i in range(6)])
    held2 = load_folder(shapes_dir, 32, split="holdout", holdout=0.3)
    assert {p for p in held2.paths if p.startswith("shape-")} == set(held.paths)


def test_no_holdout_means_everything_trains(shapes_dir):
    train = load_folder(shapes_dir, 32, split="train", holdout=0.0)
    assert train.paths == load_folder(shapes_dir, 32, split="all").paths
    with pytest.raises(DatasetError):
        load_folder(shapes_dir, 32, split="holdout", holdout=0.0)


def test_corrupt_files_skipped_with_a_reason(shapes_dir):
    (shapes_dir / "bad.png").write_bytes(b"this is not a png")
    good = (shapes_dir / "shape-000.png").read_bytes()
    (shapes_dir / "cut.png").write_bytes(good[: len(good) // 2])
    data = load_folder(shapes_dir, 32, split="all")
    reasons = dict(data.skipped)
    assert "bad.png" in reasons and "not an image" in reasons["bad.png"]
    assert "cut.png" in reasons and reasons["cut.png"]
    assert "bad.png" not in data.paths and "cut.png" not in data.paths
    assert "shape-000.png" in data.paths


def test_folder_without_images_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="No usable images"):
        load_folder(tmp_path / "empty", 32)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("hello")
    (junk / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(DatasetError, match="No usable images"):
        load_folder(junk, 32, split="all")
    with pytest.raises(DatasetError, match="does not exist"):
        load_folder(tmp_path / "nowhere", 32)


def test_to_tensor_range_and_layout():
    batch = np.zeros((2, 4, 4, 3), np.uint8)
    batch[0, 0, 0] = (255, 0, 128)
    t = to_tensor(batch)
    assert t.shape == (2, 3, 4, 4)
    assert t[0, :, 0, 0].tolist() == pytest.approx([1.0, -1.0, 128 / 127.5 - 1], abs=1e-6)
    assert t[1].min() == -1.0


def test_batch_order_is_a_function_of_seed_and_step():
    a, b = BatchOrder(10, 4, seed=3), BatchOrder(10, 4, seed=3)
    forward = [a.indices(s).tolist() for s in range(8)]
    backward = [b.indices(s).tolist() for s in reversed(range(8))][::-1]
    assert forward == backward
    assert BatchOrder(10, 4, seed=3).indices(5).tolist() == forward[5]  # a fresh one agrees
    assert [BatchOrder(10, 4, seed=4).indices(s).tolist() for s in range(8)] != forward


def test_batch_order_covers_each_epoch_once():
    order = BatchOrder(12, 4, seed=0)
    epoch0 = np.concatenate([order.indices(s) for s in range(3)])
    epoch1 = np.concatenate([order.indices(s) for s in range(3, 6)])
    assert sorted(epoch0.tolist()) == list(range(12))
    assert sorted(epoch1.tolist()) == list(range(12))
    assert epoch0.tolist() != epoch1.tolist()  # reshuffled
    assert order.epoch_of(6) == 2.0


def test_batch_order_shards_the_global_batch():
    order = BatchOrder(10, 6, seed=1)
    whole = order.indices(2)
    shards = [order.indices(2, rank=r, world=3) for r in range(3)]
    assert sorted(np.concatenate(shards).tolist()) == sorted(whole.tolist())
    assert shards[1].tolist() == whole[1::3].tolist()


def test_batch_order_shards_are_distributed_sampler_shares():
    from torch.utils.data.distributed import DistributedSampler

    order = BatchOrder(20, 8, seed=5)  # 2 steps an epoch, 4 images dropped each epoch
    sampler = DistributedSampler(range(20), num_replicas=2, rank=1, seed=5, drop_last=True)
    sampler.set_epoch(3)
    share = list(sampler)
    assert order.indices(6, rank=1, world=2).tolist() == share[:4]
    assert order.indices(7, rank=1, world=2).tolist() == share[4:8]
    # The global batch is the same set whatever the number of processes.
    for world in (1, 2, 4):
        shards = [order.indices(7, rank=r, world=world) for r in range(world)]
        assert sorted(np.concatenate(shards).tolist()) == sorted(order.indices(7).tolist())


def test_batch_order_repeats_a_set_smaller_than_a_batch():
    order = BatchOrder(3, 8, seed=0)
    batch = order.indices(0)
    assert len(batch) == 8
    assert set(batch.tolist()) == {0, 1, 2}
    with pytest.raises(ValueError, match="does not split"):
        order.indices(0, rank=0, world=3)
