"""Saving the window on close and restoring it on the next start."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

from PySide6.QtCore import QByteArray, QSettings

from studio.app.session import MAX_SEED, SessionState
from studio.ui.panel_context import PanelContext

log = logging.getLogger(__name__)

STATE_KEY = "session/state"
# A first start opens on our flagship model, not on whichever name sorts first.
FIRST_MODEL = "emoji-gan"


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    """A boolean setting (INI files store text)."""
    value = settings.value(key, default)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def read_float(settings: QSettings, key: str, default: float) -> float:
    """A float setting, ``default`` if missing or damaged."""
    try:
        return float(settings.value(key, default))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def showcase_seed(meta: dict[str, object]) -> int:
    """The seed a model opens on: its file's measured ``default_seed`` (see
    ``latent-studio showcase``), else 0."""
    value = meta.get("default_seed")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SEED:
        return value
    return 0


def initial_state(
    settings: QSettings, usable: list[str], seeds: dict[str, int] | None = None
) -> SessionState:
    """The saved session if it still makes sense, else a fresh one on ``FIRST_MODEL``
    (or the first usable model where that one is missing) at that model's showcase seed
    (``seeds``: model name → seed)."""
    saved: SessionState | None = None
    raw = settings.value(STATE_KEY, "")
    if raw:
        try:
            saved = SessionState.from_dict(json.loads(str(raw)))
        except ValueError as exc:
            log.warning("Ignoring a damaged saved session: %s", exc)
    if saved is not None and saved.model in usable:
        return saved
    model = FIRST_MODEL if FIRST_MODEL in usable else (usable[0] if usable else "")
    if saved is not None:  # the model went away: keep the seed, on the first model
        # (its slider values and layers were another model's directions)
        return replace(saved, model=model, layers=None, edits=(0.0,) * len(saved.edits))
    return SessionState(model, seed=(seeds or {}).get(model, 0))


def save_window(ctx: PanelContext, dark: bool) -> None:
    """Write the session, layout (docks by objectName), zoom and theme."""
    s, window = ctx.settings, ctx.window
    s.setValue(STATE_KEY, json.dumps(ctx.controller.state.to_dict()))
    s.setValue("window/geometry", window.saveGeometry())
    s.setValue("window/state", window.saveState())
    s.setValue("canvas/fit", ctx.canvas.fit_mode)
    s.setValue("canvas/zoom", ctx.canvas.zoom)
    s.setValue("ui/dark", dark)
    s.sync()


def restore_window(ctx: PanelContext) -> bool:
    """Restore layout and zoom; False when there was nothing saved (first start)."""
    s, window = ctx.settings, ctx.window
    geometry = s.value("window/geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        window.restoreGeometry(geometry)
        layout = s.value("window/state")
        if isinstance(layout, QByteArray):
            window.restoreState(layout)
        found = True
    else:
        found = False
    if not read_bool(s, "canvas/fit", True):
        ctx.canvas.set_zoom(read_float(s, "canvas/zoom", 1.0))
    return found
