"""Export from the gallery: images (File ▸ Export…), contact sheets and morphs.

Pixels are read from the gallery on the UI thread (kept images are small); encoding
and writing happen on a pool thread, frames for morphs on the engine's render lane.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog

from studio.app.tasks import Task
from studio.gallery import Gallery, Item
from studio.gallery.recipes import export_job, sheet_caption
from studio.imaging.decode import ImageError
from studio.imaging.export import ExportError, ExportJob, counted
from studio.imaging.grid import save_sheet
from studio.ui import sheet_dialog
from studio.ui.export_dialog import (
    ExportDialog,
    ExportOptions,
    default_folder,
    settle_path,
    start_export,
)
from studio.ui.gallery_panel import GalleryPanel
from studio.ui.morph_dialog import MorphDialog, morph_recipes, suggested_morph_path
from studio.ui.panel_context import PanelContext

caption = sheet_caption  # model and seed, or the imported file's name


class GallerySource(Protocol):
    """What exporting needs of the gallery in the window (``GalleryActions`` is one)."""

    gallery: Gallery | None
    panel: GalleryPanel

    def report(self, text: str) -> None:
        """Say what went wrong, in one plain line."""

    def note_for(self, model: str) -> str:
        """Why images of ``model`` cannot be opened here ("" when they can)."""


class GalleryExports(QObject):
    """Signals: ``exported(list[Path])``, ``sheetSaved(Path)``, ``morphSaved(Path)``."""

    exported = Signal(list)
    sheetSaved = Signal(object)
    morphSaved = Signal(object)

    def __init__(
        self, actions: GallerySource, ctx: PanelContext, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.actions = actions
        self.context = ctx
        self.morph: MorphDialog | None = None

    def _items(self, ids: Sequence[int]) -> list[tuple[Item, np.ndarray]]:
        gallery = self.actions.gallery
        if gallery is None:
            raise ExportError("The gallery cannot be used.")
        try:
            return [(gallery.get(i), gallery.image(i)) for i in ids]
        except KeyError as exc:
            raise ExportError(str(exc.args[0])) from None
        except ImageError as exc:
            raise ExportError(f"A kept image cannot be read: {exc}") from None

    def current_job(self) -> ExportJob | None:
        """The canvas image with the recipe of what it shows (None before a frame)."""
        frame = self.context.current_frame()
        shown = self.context.controller.shown_state
        if frame is None or shown is None:
            return None
        info = self.context.controller.model_info
        sha = info.sha256 if info is not None and info.name == shown.model else ""
        recipe = {**shown.to_request().to_dict(), "model_sha256": sha}
        fields = {"model": shown.model, "seed": shown.seed, "id": "", "title": ""}
        return ExportJob(frame, recipe, fields)

    # ------------------------------------------------------------------ images

    def export_dialog(self) -> None:
        """File ▸ Export…: ask, then export the selection or the canvas."""
        ids = self.actions.panel.selected_ids()
        has_current = self.context.current_frame() is not None
        if not ids and not has_current:
            self.actions.report("There is nothing to export yet.")
            return
        dialog = ExportDialog(self.context.window, len(ids), has_current, self.context.settings)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            options = dialog.options()
            self.export(options, ids if options.selection else None)

    def export(self, options: ExportOptions, ids: Sequence[int] | None = None) -> Task | None:
        """Export gallery items ``ids``, or the canvas image when None. Returns the
        running task, or None (cancelled, or a problem that was reported)."""
        try:
            if ids is None:
                job = self.current_job()
                if job is None:
                    raise ExportError("There is no image on the canvas to export.")
                jobs = [job]
            else:
                jobs = [export_job(item, image) for item, image in self._items(ids)]
            task = start_export(self.context.window, jobs, options)
        except ExportError as exc:
            self.actions.report(str(exc))
            return None
        if task is not None:
            task.signals.done.connect(self._exported)
            self._run(task, "Exporting…")
        return task

    def _exported(self, paths: list[Path]) -> None:
        folder = paths[0].parent if paths else ""
        self.context.status.showMessage(
            f"Exported {counted(len(paths), 'image')} to {folder}", 6000
        )
        self.exported.emit(paths)

    # ------------------------------------------------------------------ contact sheet

    def export_sheet(
        self,
        path: Path | None = None,
        ids: Sequence[int] | None = None,
        scale: int = 1,
        smooth: bool = False,
    ) -> Task | None:
        """The selection as one captioned PNG, enlarged ``scale`` times (crisp or smooth);
        with no ``path``, the sheet dialog asks for the file, scale and pixels."""
        ids = list(ids if ids is not None else self.actions.panel.selected_ids())
        if not ids:
            self.actions.report("Select the gallery images to put on the contact sheet.")
            return None
        if path is None:
            suggested = default_folder(self.context.settings) / "contact-sheet.png"
            chosen = sheet_dialog.ask_sheet_options(self.context.window, suggested, len(ids))
            if chosen is None:
                return None
            path, scale, smooth = chosen.path, chosen.scale, chosen.smooth
        path = settle_path(self.context.window, path.with_suffix(".png"))
        if path is None:
            return None
        try:
            pairs = self._items(ids)
        except ExportError as exc:
            self.actions.report(str(exc))
            return None
        images = [image for _, image in pairs]
        recipes = [item.recipe for item, _ in pairs]
        captions = [caption(item) for item, _ in pairs]
        target = path

        def work(_progress: Callable[[float], None]) -> Path:
            target.parent.mkdir(parents=True, exist_ok=True)
            # A sheet too large is a ValueError: the task reports it in one line.
            return save_sheet(images, target, recipes, captions, scale, smooth)

        task = Task(work)
        task.signals.done.connect(self._sheet_saved)
        self._run(task, "Writing the contact sheet…")
        return task

    def _sheet_saved(self, path: Path) -> None:
        self.context.status.showMessage(f"Wrote {path}", 6000)
        self.sheetSaved.emit(path)

    # ------------------------------------------------------------------ morph

    def morph_dialog(self, ids: Sequence[int] | None = None) -> MorphDialog | None:
        """File ▸ Export morph… for the selected images (2+, one model)."""
        gallery = self.actions.gallery
        ids = list(ids if ids is not None else self.actions.panel.selected_ids())
        if gallery is None:
            return None
        try:
            recipes = morph_recipes([gallery.get(i) for i in ids], self.actions.note_for)
        except (ValueError, KeyError) as exc:
            self.actions.report(str(exc.args[0]) if exc.args else str(exc))
            return None
        if self.morph is not None:  # one morph dialog at a time
            self.morph.close()
            self.morph.deleteLater()
        folder = default_folder(self.context.settings)
        suggested = suggested_morph_path(folder, recipes[0].model)
        dialog = MorphDialog(self.context.window, self.context.bridge, recipes, suggested)
        dialog.saved.connect(self.morphSaved.emit)
        dialog.problem.connect(self.actions.report)
        dialog.open()
        self.morph = dialog
        return dialog

    # ------------------------------------------------------------------ internals

    def _run(self, task: Task, text: str) -> None:
        """Start ``task`` (connect to its ``done`` first) with progress in the status bar."""
        status = self.context.status
        status.showMessage(text)
        status.set_busy(True)
        task.signals.progress.connect(status.set_progress)
        task.signals.failed.connect(self.actions.report)
        task.signals.ended.connect(lambda: status.set_busy(self.context.bridge.busy))
        task.start()
