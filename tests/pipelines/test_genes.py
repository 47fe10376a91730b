"""Genes: directions from examples, their file, and recipes that carry them."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.imaging.metadata import encode_image, read_recipe
from studio.imaging.recipe_read import RecipeError
from studio.models.checkpoint import load_checkpoint
from studio.pipelines.genes import (
    Gene,
    GeneError,
    gene_to_json,
    make_gene,
    pca_scale,
    read_gene,
    write_gene,
)
from studio.pipelines.render import Recipe, edited_latent, gene_size, render_recipe


@pytest.fixture
def gan(model_dir):
    return load_checkpoint(model_dir / "tiny-gan.safetensors", torch.device("cpu"))


@pytest.fixture
def vae(model_dir):
    return load_checkpoint(model_dir / "tiny-vae.safetensors", torch.device("cpu"))


def _clusters(seed=0, d=32, n=40):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=d), rng.normal(size=d)
    pos = a + 0.1 * rng.normal(size=(n, d))
    neg = b + 0.1 * rng.normal(size=(n, d))
    return pos, neg, a - b


def test_gene_points_from_one_cluster_to_the_other():
    pos, neg, true = _clusters()
    gene = make_gene(list(pos), list(neg), "smiling", scale=2.5)
    cos = float(gene.vector @ true / np.linalg.norm(gene.vector) / np.linalg.norm(true))
    assert cos > 0.99
    assert np.linalg.norm(gene.vector) == pytest.approx(2.5, rel=1e-5)
    swapped = make_gene(list(neg), list(pos), "frowning")
    assert float(swapped.vector @ true) < 0


def test_orthogonalised_gene_has_zero_dot_with_the_others():
    pos, neg, _ = _clusters(1)
    rng = np.random.default_rng(2)
    others = [rng.normal(size=32), rng.normal(size=32)]
    others.append(others[0] + others[1])  # not independent: Gram-Schmidt skips it
    gene = make_gene(list(pos), list(neg), "g", orthogonal_to=others)
    for other in others:
        assert abs(float(gene.vector @ other)) < 1e-5 * np.linalg.norm(other)
    plain = make_gene(list(pos), list(neg), "g")
    assert abs(float(plain.vector @ others[0])) > 1e-3  # the test can fail


@pytest.mark.parametrize(
    ("pos", "neg", "others", "words"),
    [
        ([np.ones(4)], [], (), "at least one"),
        ([], [np.ones(4)], (), "at least one"),
        ([np.ones(4)], [np.ones(4)], (), "same mean"),
        ([np.ones(4), np.zeros(4)], [np.ones(4), np.zeros(4)], (), "same mean"),
        ([np.ones(4)], [np.zeros(5)], (), "one model"),
        ([np.ones(4), np.ones(5)], [np.zeros(4)], (), "different sizes"),
        ([np.ones(4)], [np.zeros(4)], [np.ones(3)], "has 3 numbers"),
        ([np.ones(4)], [np.zeros(4)], [np.ones(4)], "orthogonal"),
        ([np.array([1.0, np.nan])], [np.zeros(2)], (), "not finite"),
    ],
)
def test_refusals_are_plain_errors(pos, neg, others, words):
    with pytest.raises(GeneError, match=words):
        make_gene(pos, neg, "g", orthogonal_to=others)


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "a\nb", 3])
def test_bad_names_are_refused(name):
    with pytest.raises(GeneError, match="name"):
        make_gene([np.ones(2)], [np.zeros(2)], name)


def test_pca_scale_is_the_rms_of_the_spreads():
    assert pca_scale([3.0, 4.0]) == pytest.approx(np.sqrt(12.5))
    assert pca_scale([]) == 1.0


def _gene(d=8, name="smiling"):
    vector = np.linspace(-1, 1, d, dtype=np.float32) + np.float32(0.01)
    return Gene(name, "tiny-gan", "ab" * 32, "w", vector)


def test_file_round_trip(tmp_path):
    gene = _gene()
    path = tmp_path / "smiling.gene.json"
    write_gene(gene, path)
    back = read_gene(path.read_bytes(), 8)
    assert (back.name, back.model, back.model_sha256, back.space) == (
        "smiling",
        "tiny-gan",
        "ab" * 32,
        "w",
    )
    assert np.array_equal(back.vector, gene.vector)
    assert json.loads(path.read_text())["format"] == "latent-studio-gene"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "g.json"
    path.write_text("old")

    def boom(*_a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        write_gene(_gene(), path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["g.json"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"format": "other"}, "not a Latent Studio gene"),
        ({"version": 2}, "version 2"),
        ({"version": True}, "version"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"model": 5}, "model"),
        ({"space": "x"}, "space"),
        ({"vector": []}, "vector"),
        ({"vector": [1, "a"]}, "vector"),
        ({"vector": [1, True]}, "vector"),
        ({"vector": [0.0, 0.0]}, "zeros"),
        ({"vector": [1e-50, 0.0]}, "zeros"),
        ({"vector": [1e300, 1.0]}, "too large"),
        ({"vector": [1.0] * 9}, "the model's w has 8"),
    ],
)
def test_reader_refuses_each_bad_field(change, words):
    d = {**_gene().to_dict(), **change}
    with pytest.raises(GeneError, match=words):
        read_gene(json.dumps(d), 8)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 100 + "]" * 100, "nests"),
        ('{"a": [[[[[1]]]]]}', "nests"),
        ("not json", "not valid JSON"),
        ('{"vector": [NaN]}', "not a number"),
        (b"\xff\xfe", "UTF-8"),
        (b" " * (300 * 1024), "too large"),
    ],
)
def test_reader_refuses_hostile_text(text, words):
    with pytest.raises(GeneError, match=words) as info:
        read_gene(text)
    assert "recipe" not in str(info.value)


_json = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
_fields = st.fixed_dictionaries(
    {},
    optional={
        "format": st.sampled_from(["latent-studio-gene", "x"]) | _json,
        "version": st.sampled_from([1, 2]) | _json,
        "name": st.text(max_size=70) | _json,
        "model": st.text(max_size=8) | _json,
        "model_sha256": st.text(max_size=8) | _json,
        "space": st.sampled_from(["w", "z"]) | _json,
        "vector": st.lists(st.floats() | st.integers(), max_size=10) | _json,
    },
)


def _check(data, size=None):
    try:
        gene = read_gene(data, size)
    except GeneError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert gene.vector.dtype == np.float32 and np.isfinite(gene.vector).all()
    assert 1 <= len(gene.name) <= 64


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_any_bytes_parse_or_raise_a_gene_error(data):
    _check(data)


@settings(max_examples=300, deadline=None)
@given(_fields, st.none() | st.integers(1, 10))
def test_any_gene_like_object_parses_or_raises_a_gene_error(d, size):
    _check(json.dumps(d), size)


def _with_gene(model, amount=1.5, **kw):
    rng = np.random.default_rng(0)
    gene = Gene("g", model.name, "", "w", rng.normal(size=gene_size(model)).astype(np.float32))
    return Recipe(model.name, 3, genes=(gene.edit(amount),), **kw)


def test_gene_moves_w_within_the_layer_range(gan):
    recipe = _with_gene(gan, layers=(1, 2))
    base = edited_latent(gan, replace(recipe, genes=()))
    moved = edited_latent(gan, recipe)
    v = torch.tensor(recipe.genes[0].vector) * 1.5
    assert torch.equal(moved[:, :1], base[:, :1]) and torch.equal(moved[:, 2:], base[:, 2:])
    assert torch.allclose(moved[:, 1] - base[:, 1], v.view(1, -1), atol=1e-5)


def test_gene_moves_the_vae_code(vae):
    recipe = _with_gene(vae)
    diff = edited_latent(vae, recipe) - edited_latent(vae, replace(recipe, genes=()))
    assert torch.allclose(diff[0], torch.tensor(recipe.genes[0].vector) * 1.5, atol=1e-5)


@pytest.mark.parametrize("kind", ["gan", "vae"])
def test_recipe_with_genes_round_trips_through_png_and_renders_bit_for_bit(kind, gan, vae):
    model = gan if kind == "gan" else vae
    recipe = _with_gene(model, amount=-2.0)
    image = render_recipe(model, recipe)
    raw = read_recipe(encode_image(image, "png", recipe.to_dict()))
    back = Recipe.from_dict(raw)
    assert back == recipe
    assert np.array_equal(render_recipe(model, back), image)
    assert not np.array_equal(render_recipe(model, replace(recipe, genes=())), image)


def test_older_recipe_without_genes_loads_and_writes_unchanged(gan):
    # A recipe as saved before genes existed: these keys, no "genes".
    old = {
        "version": 1,
        "model": gan.name,
        "seed": 5,
        "truncation": 0.7,
        "edits": [],
        "layers": None,
        "latent": None,
        "label": None,
        "grid": None,
    }
    recipe = Recipe.from_dict(old)
    assert recipe.genes == ()
    assert recipe.to_dict() == old
    assert np.array_equal(render_recipe(gan, recipe), render_recipe(gan, Recipe(gan.name, 5, 0.7)))


@pytest.mark.parametrize(
    ("genes", "words"),
    [
        ("x", "not a list"),
        (["x"], "not an object"),
        ([{"name": "g", "vector": [1.0], "amount": "a"}], "amount"),
        ([{"name": "g", "vector": [], "amount": 1}], "empty"),
        ([{"name": "", "vector": [1.0], "amount": 1}], "name"),
        ([{"name": "g", "vector": [1.0], "amount": 1}] * 65, "at most 64"),
    ],
)
def test_malformed_genes_in_a_recipe_are_refused(genes, words):
    with pytest.raises(RecipeError, match=words):
        Recipe.from_dict({"model": "m", "genes": genes})


def test_gene_amount_and_size_are_checked_for_the_model(gan):
    with pytest.raises(RecipeError, match="outside ±3"):
        edited_latent(gan, _with_gene(gan, amount=3.5))
    bad = replace(_with_gene(gan), genes=(_gene(gene_size(gan) + 1).edit(1.0),))
    with pytest.raises(RecipeError, match="numbers"):
        render_recipe(gan, bad)


def test_gene_file_to_recipe_is_exact(gan):
    gene = _gene(gene_size(gan))
    back = read_gene(gene_to_json(gene), gene_size(gan))
    assert back.edit(1.0) == gene.edit(1.0)
