"""Export from the gallery: images (File ▸ Export…), contact sheets and morphs.

Pixels are read from the gallery on the UI thread (kept images are small); encoding
and writing happen on a pool thread, frames for morphs on the engine's render lane.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog

from studio.app.tasks import Task
from studio.gallery import Item
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
from studio.ui.morph_dialog import MorphDialog, morph_recipes, suggested_morph_path

if TYPE_CHECKING:
    from studio.ui.gallery_actions import GalleryActions


caption = sheet_caption  # model and seed, or the imported file's name


class GalleryExports(QObject):
    """Signals: ``exported(list[Path])``, ``sheetSaved(Path)``, ``morphSaved(Path)``."""

    exported = Signal(list)
    sheetSaved = Signal(object)
    morphSaved = Signal(object)

    def __init__(self, actions: GalleryActions) -> None:
        super().__init__(actions)
        self.actions = actions
        self.morph: MorphDialog | None = None

    @property
    def _window(self):  # noqa: ANN202 - the MainWindow, typed loosely to avoid a cycle
        return self.actions.window

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
        frame = self._window.current_frame()
        shown = self._window.controller.shown_state
        if frame is None or shown is None:
            return None
        info = self._window.controller.model_info
        sha = info.sha256 if info is not None and info.name == shown.model else ""
        recipe = {**shown.to_request().to_dict(), "model_sha256": sha}
        fields = {"model": shown.model, "seed": shown.seed, "id": "", "title": ""}
        return ExportJob(frame, recipe, fields)

    # ------------------------------------------------------------------ images

    def export_dialog(self) -> None:
        """File ▸ Export…: ask, then export the selection or the canvas."""
        ids = self.actions.panel.selected_ids()
        has_current = self._window.current_frame() is not None
        if not ids and not has_current:
            self.actions.report("There is nothing to export yet.")
            return
        dialog = ExportDialog(self._window, len(ids), has_current, self._window.settings)
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
            task = start_export(self._window, jobs, options)
        except ExportError as exc:
            self.actions.report(str(exc))
            return None
        if task is not None:
            task.signals.done.connect(self._exported)
            self._run(task, "Exporting…")
        return task

    def _exported(self, paths: list[Path]) -> None:
        folder = paths[0].parent if paths else ""
        self._window.status.showMessage(
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
            suggested = default_folder(self._window.settings) / "contact-sheet.png"
            chosen = sheet_dialog.ask_sheet_options(self._window, suggested, len(ids))
            if chosen is None:
                return None
            path, scale, smooth = chosen.path, chosen.scale, chosen.smooth
        path = settle_path(self._window, path.with_suffix(".png"))
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
        self._window.status.showMessage(f"Wrote {path}", 6000)
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
        folder = default_folder(self._window.settings)
        dialog = MorphDialog(self._window, recipes, suggested_morph_path(folder, recipes[0].model))
        dialog.saved.connect(self.morphSaved.emit)
        dialog.problem.connect(self.actions.report)
        dialog.open()
        self.morph = dialog
        return dialog

    # ------------------------------------------------------------------ internals

    def _run(self, task: Task, text: str) -> None:
        """Start ``task`` (connect to its ``done`` first) with progress in the status bar."""
        status = self._window.status
        status.showMessage(text)
        status.set_busy(True)
        task.signals.progress.connect(status.set_progress)
        task.signals.failed.connect(self.actions.report)
        task.signals.ended.connect(lambda: status.set_busy(self._window.bridge.busy))
        task.start()
