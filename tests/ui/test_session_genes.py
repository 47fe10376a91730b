"""The window keeps a recipe's genes: opening an image made with genes shows that image."""

from __future__ import annotations

from dataclasses import replace

from studio.app.session import SessionState, fresh_start
from studio.pipelines.render import GeneEdit

GENE = GeneEdit("smiling", (0.5, -0.25, 0.0, 1.0), 1.5)


def test_a_recipe_with_genes_opens_with_them() -> None:
    state = SessionState("tiny-gan", seed=3, edits=(0.0,) * 12, genes=(GENE,))
    opened = SessionState.from_dict(state.to_dict())
    assert opened.genes == (GENE,)
    assert opened.to_request().genes == (GENE,)  # and the window renders them
    assert opened == state


def test_a_new_model_drops_the_old_models_genes() -> None:
    before = SessionState("tiny-gan", seed=3, edits=(0.0,) * 12, genes=(GENE,))
    after = fresh_start(before, replace(before, model="tiny-vae"))
    assert after.genes == ()
    same_model = fresh_start(before, replace(before, seed=4))
    assert same_model.genes == (GENE,)
