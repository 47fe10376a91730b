"""File ▸ Export morph…: frames along a path through 2+ kept images of one model.

The frames are rendered by the engine on the ``render`` lane (``RenderMorph``), with
progress and cancel here; the GIF or MP4 is then written on a pool thread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QWidget,
)

from studio.app.bridge import EngineBridge
from studio.app.tasks import Task
from studio.engine import JobEvent, RenderMorph
from studio.gallery import Item
from studio.gallery.recipes import morph_recipe_dicts
from studio.imaging.animation import mp4_available, save_gif, save_mp4, scaled_frames
from studio.imaging.export import counted
from studio.pipelines.render import Recipe
from studio.ui.export_dialog import ask_save_path, scale_controls, settle_path
from studio.ui.naming import named

MAX_FRAMES = 600


def morph_recipes(items: Sequence[Item], note_for: Callable[[str], str]) -> list[Recipe]:
    """The recipes of a morph's keyframes; ValueError says why these items cannot be one."""
    return [Recipe.from_dict(r) for r in morph_recipe_dicts(items, note_for)]


def morph_recipe_note(
    recipes: Sequence[Recipe], frames: int, mode: str, loop: str
) -> dict[str, Any]:
    """What a morph file carries as its recipe (as the CLI writes it)."""
    return {"morph": [r.to_dict() for r in recipes], "frames": frames, "mode": mode, "loop": loop}


class MorphDialog(QDialog):
    """Settings, then Render: progress while the engine works, then the file is written.

    Signals: ``saved(Path)`` once the file is written; ``problem(str)`` on failure.
    """

    saved = Signal(object)
    problem = Signal(str)

    def __init__(
        self,
        parent: QWidget | None,
        bridge: EngineBridge,
        recipes: Sequence[Recipe],
        suggested: Path,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("morphDialog")
        self.setWindowTitle("Export morph")
        self.bridge = bridge
        self.recipes = tuple(recipes)
        self.job: int | None = None
        self.mode = named(QComboBox(), "morphMode")
        self.mode.addItem("Spherical (smooth through the latent space)", "spherical")
        self.mode.addItem("Linear", "linear")
        self.frames = named(QSpinBox(), "morphFrames")
        self.frames.setRange(2, MAX_FRAMES)
        self.frames.setValue(24)
        self.loop = named(QComboBox(), "morphLoop")
        for label, value in (
            ("Once", "once"),
            ("Loop back to the first", "loop"),
            ("Ping-pong", "pingpong"),
        ):
            self.loop.addItem(label, value)
        self.format = named(QComboBox(), "morphFormat")
        self.format.addItem("GIF", "gif")
        if mp4_available():
            self.format.addItem("MP4 (H.264)", "mp4")
        else:
            self.format.setToolTip("MP4 needs the optional package imageio-ffmpeg.")
        self.fps = named(QSpinBox(), "morphFps")
        self.fps.setRange(1, 60)
        self.fps.setValue(12)
        self.fps.setSuffix(" fps")
        self.scale_spin, self.sampling = scale_controls("morph")
        self.path_edit = named(QLineEdit(str(suggested)), "morphPath")
        self.path_edit.setMinimumWidth(340)
        self.browse = named(QPushButton("Choose…"), "morphBrowse")
        self.progress = named(QProgressBar(), "morphProgress")
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = named(
            QLabel(f"{counted(len(self.recipes), 'image')} of {self.recipes[0].model}"),
            "morphStatus",
        )
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.render_button = named(
            self.buttons.addButton("Render", QDialogButtonBox.ButtonRole.AcceptRole), "morphRender"
        )
        self.cancel_button = named(
            self.buttons.addButton(QDialogButtonBox.StandardButton.Close), "morphCancel"
        )
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse)
        form = QFormLayout(self)
        form.addRow("Interpolation", self.mode)
        form.addRow("Frames", self.frames)
        form.addRow("Loop", self.loop)
        form.addRow("Format", self.format)
        form.addRow("Speed", self.fps)
        form.addRow("Scale", self.scale_spin)
        form.addRow("Pixels", self.sampling)
        form.addRow("File", path_row)
        form.addRow(self.progress)
        form.addRow(self.status)
        form.addRow(self.buttons)
        self.render_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel_or_close)
        self.browse.clicked.connect(self._choose)
        self.format.currentIndexChanged.connect(self._format_changed)
        bridge.jobEvent.connect(self._event)
        bridge.resultReady.connect(self._result)

    # ------------------------------------------------------------------ actions

    def request(self) -> RenderMorph:
        """The engine request for the chosen settings."""
        return RenderMorph(
            self.recipes[0].model,
            self.recipes,
            self.frames.value(),
            str(self.mode.currentData()),
            str(self.loop.currentData()),
        )

    def target(self) -> Path:
        """The file to write, with the chosen format's suffix."""
        path = Path(self.path_edit.text().strip()).expanduser()
        return path.with_suffix("." + str(self.format.currentData()))

    def start(self) -> None:
        """Submit the morph on the render lane."""
        if self.job is not None or self.bridge.is_shut_down:
            return
        self.job = self.bridge.submit(self.request(), "render")
        self.render_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.progress.setValue(0)
        self.status.setText("Rendering frames…")

    def cancel_or_close(self) -> None:
        """Cancel a running render, else close."""
        if self.job is not None:
            self.bridge.cancel(self.job)
        else:
            self.reject()

    # ------------------------------------------------------------------ engine events

    def _event(self, event: JobEvent) -> None:
        if event.job_id != self.job:
            return
        if event.kind == "progress":
            self.progress.setValue(round(max(0.0, min(1.0, event.progress)) * 90))
        elif event.kind in ("failed", "cancelled"):
            self._done(event.error or "Cancelled.", failed=event.kind == "failed")

    def _result(self, job_id: int, payload: object) -> None:
        if job_id != self.job or not isinstance(payload, list):
            return
        self.job = None
        path = settle_path(self, self.target())
        if path is None:
            self._done("Not written: the file exists.", failed=False)
            return
        frames, fps = payload, self.fps.value()
        scale, smooth = self.scale_spin.value(), bool(self.sampling.currentData())
        note = morph_recipe_note(self.recipes, self.frames.value(), *self._path_and_loop())
        self.status.setText(f"Writing {counted(len(frames), 'frame')} to {path.name}…")

        def write(progress: Callable[[float], None]) -> Path:
            path.parent.mkdir(parents=True, exist_ok=True)
            big = scaled_frames(frames, scale, smooth)  # as a single export scales
            if path.suffix.lower() == ".mp4":
                return save_mp4(big, path, fps, note)
            return save_gif(big, path, fps, note)

        task = Task(write)
        task.signals.done.connect(self._written)
        task.signals.failed.connect(lambda text: self._done(text, failed=True))
        task.start()

    def _written(self, path: object) -> None:
        self.progress.setValue(100)
        self._done(f"Wrote {path}", failed=False)
        self.saved.emit(path)

    def _done(self, text: str, failed: bool) -> None:
        self.job = None
        self.status.setText(text)
        self.render_button.setEnabled(True)
        self.cancel_button.setText("Close")
        if failed:
            self.problem.emit(text)

    def _path_and_loop(self) -> tuple[str, str]:
        return str(self.mode.currentData()), str(self.loop.currentData())

    def _format_changed(self, _index: int) -> None:
        self.path_edit.setText(str(self.target()))

    def _choose(self) -> None:
        fmt = str(self.format.currentData())
        path = ask_save_path(self, "Export morph", self.target(), f"{fmt.upper()} (*.{fmt})")
        if path is not None:
            self.path_edit.setText(str(path))

    def done(self, result: int) -> None:
        """Closing cancels a render still running."""
        if self.job is not None:
            self.bridge.cancel(self.job)
            self.job = None
        super().done(result)


def suggested_morph_path(folder: Path, model: str) -> Path:
    """A default file for a morph of ``model`` in ``folder``."""
    return folder / f"{model}-morph.gif"
