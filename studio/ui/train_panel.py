"""The training studio: pick a folder, check it, train or fine-tune, watch, publish.

Everything runs on the engine through the window's bridge: the folder check and the
publishing on the ``render`` lane, training on the ``train`` lane (its own thread, so
the canvas and sliders keep working). The panel only sends requests and shows events.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from studio.app.bridge import EngineBridge
from studio.engine import JobEvent, PublishRun, ScanFolder, TimeTraining, TrainRun
from studio.models.catalog import ModelEntry, list_models
from studio.ui.naming import named
from studio.ui.train_data import DataPicker, describe_report
from studio.ui.train_estimate import EstimateView
from studio.ui.train_plot import TrainPlot
from studio.ui.train_progress import PreviewView, ProgressView
from studio.ui.train_run import RunFields, ask_existing_run, free_folder, read_log, slug
from studio.ui.train_settings import TrainSettings

if TYPE_CHECKING:
    from studio.training.estimate import TrainingEstimate
    from studio.training.run import StepReport
    from studio.training.scan import ScanReport

LEFT_FIGURES = ("loss_d", "loss_g", "loss")
RIGHT_FIGURES = ("diversity", "data_diversity")  # measured with each preview (GAN)
REFRESH_MS = 100
ESTIMATE_DELAY_MS = 700  # settle after the last settings change before timing steps
ESTIMATE_STEPS = 2


def _button(text: str, name: str, tip: str) -> QPushButton:
    button = named(QPushButton(text), name)
    button.setToolTip(tip)
    button.setAutoDefault(False)  # Enter or Escape in a field never presses it
    return button


class TrainPanel(QWidget):
    """The Train dock's contents. Signals: ``published(str)`` with the new model's
    name, ``openModel(str)`` when the person asks to look at it.

    For tests and scripts: ``model_options`` (per kind) is merged into a new model's
    settings, ``config_overrides`` into the config, and ``ask_existing_run(run_dir,
    can_start_new) -> "resume" | "new" | "cancel"`` may be replaced.
    """

    published = Signal(str)
    openModel = Signal(str)

    def __init__(self, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainPanelBody")
        self.bridge = bridge
        self.model_options: dict[str, dict[str, Any]] = {"gan": {}, "vae": {}}
        self.config_overrides: dict[str, Any] = {}
        self.ask_existing_run: Callable[[Path, bool], str] = lambda run, new: ask_existing_run(
            self, run, new
        )
        self.device_label: Callable[[], str] = lambda: str(bridge.engine.device).upper()
        self.report: ScanReport | None = None
        self.last_report: StepReport | None = None
        self.run_dir: Path | None = None
        self.paused = False
        self._scan_job: int | None = None
        self._train_job: int | None = None
        self._publish_job: int | None = None
        self._estimate_job: int | None = None
        self.estimate: TrainingEstimate | None = None
        self._estimate_timer = QTimer(self, singleShot=True, interval=ESTIMATE_DELAY_MS)
        self._publish_name = ""
        self._entries: list[ModelEntry] = []
        self._refresh = QTimer(self, singleShot=True, interval=REFRESH_MS)

        self.data = DataPicker()
        self.settings = TrainSettings()
        self.settings.set_device(bridge.engine.device.type)
        self.run = RunFields()
        self.start_button = _button(
            "Start", "trainStartButton", "Start training (or resume the run in the run folder)"
        )
        self.pause_button = _button(
            "Pause", "trainPauseButton", "Pause between steps; Resume carries on exactly"
        )
        self.cancel_button = _button(
            "Cancel",
            "trainCancelButton",
            "Stop training; the last state is kept in the run folder, so it can be resumed",
        )
        self.publish_button = _button(
            "Publish", "trainPublishButton", "Add the run's model, as it is now, to the model list"
        )
        self.open_button = _button("Open it", "trainOpenButton", "Show the new model")
        self.open_button.hide()
        self.estimate_view = EstimateView()
        self.message = named(QLabel("Choose a folder of images to begin."), "trainMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview = PreviewView()
        self.plot = TrainPlot()
        self.progress = ProgressView()
        self.tabs = named(QTabWidget(), "trainTabs")
        self._build()
        self._connect()
        self.refresh_models()
        self._sync()

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        setup = QWidget()
        column = QVBoxLayout(setup)
        column.setContentsMargins(0, 0, 4, 0)
        for box in (self.data, self.settings, self.run):
            column.addWidget(box)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(setup)
        self.setup_page = scroll
        watch = QWidget()
        column = QVBoxLayout(watch)
        column.setContentsMargins(0, 4, 0, 0)
        split = named(QSplitter(Qt.Orientation.Vertical), "trainSplitter")
        split.addWidget(self.preview)
        split.addWidget(self.plot)
        split.setChildrenCollapsible(False)
        split.setSizes([1, 1])
        column.addWidget(split)
        self.watch_page = watch
        self.tabs.addTab(scroll, "Setup")
        self.tabs.addTab(watch, "Progress")

        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.publish_button)
        done = QHBoxLayout()
        done.addWidget(self.message, 1)
        done.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.estimate_view)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addLayout(done)

    def _connect(self) -> None:
        self.bridge.jobEvent.connect(self._on_event)
        self.data.folderChosen.connect(self.scan)
        self.settings.changed.connect(self._suggest_names)
        self.run.folder_edit.textChanged.connect(self._sync)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button.clicked.connect(self.cancel)
        self.publish_button.clicked.connect(lambda: self.publish())
        self.open_button.clicked.connect(lambda: self.openModel.emit(self._publish_name))
        self._refresh.timeout.connect(self.progress.refresh)
        self._estimate_timer.timeout.connect(self.measure_speed)
        self.settings.steps.valueChanged.connect(self._steps_changed)
        for signal in (
            self.settings.changed,
            self.settings.batch.valueChanged,
            self.settings.gan_size.currentIndexChanged,
            self.settings.resolution.currentIndexChanged,
        ):
            signal.connect(self._estimate_later)
        self.estimate_view.smaller_button.clicked.connect(self._use_smaller)
        self.estimate_view.tune_button.clicked.connect(self._use_fine_tune)

    # ------------------------------------------------------------------ public

    @property
    def training(self) -> bool:
        """Whether a training job of this panel is running (or paused)."""
        return self._train_job is not None

    def set_dark(self, dark: bool) -> None:
        """Follow the window's theme."""
        self.plot.set_dark(dark)

    def refresh_models(self) -> None:
        """Re-read the registry for the models that can be fine-tuned."""
        self._entries = list_models()
        self.settings.set_entries(self._entries)

    def scan(self, folder: str) -> None:
        """Check ``folder`` on the engine; the report arrives as an event."""
        if self._scan_job is not None:
            self.bridge.cancel(self._scan_job)
        self.report = None
        self.data.show_text(f"Checking {folder}…")
        self._scan_job = self.bridge.submit(ScanFolder(folder), "render")
        self._sync()

    def measure_speed(self) -> None:
        """Time a few steps of the current settings on the engine; the estimate arrives
        as an event and shows above Start."""
        self._estimate_timer.stop()
        if self._estimate_job is not None:
            self.bridge.cancel(self._estimate_job)
            self._estimate_job = None
        if not self._usable() or self._train_job is not None or self.report is None:
            return
        kind = self.settings.choice().kind
        device = str(self.bridge.engine.device)
        cfg = self.settings.config(self.report.root, device, dict(self.model_options.get(kind, {})))
        cfg |= self.config_overrides
        self.estimate_view.say(f"Measuring how fast this trains on this {self._device()}…")
        self._estimate_job = self.bridge.submit(TimeTraining(cfg, ESTIMATE_STEPS), "render")

    def start(self) -> None:
        """Start a new run, or resume the one in the run folder (asking first)."""
        if not self.start_button.isEnabled():
            return
        self._estimate_timer.stop()
        if self._estimate_job is not None:  # the run's own speed shows from now on
            self.bridge.cancel(self._estimate_job)
            self._estimate_job = None
        name, run = self.run.name(), self.run.folder()
        if not name or run is None:
            self._say("Give the run a folder and the model a name (letters, digits, - _ .).")
            return
        resume = (run / "run.json").is_file()
        if resume:
            answer = self.ask_existing_run(run, self._usable())
            if answer == "cancel":
                return
            if answer == "new":
                run, resume = free_folder(run), False
                self.run.folder_edit.setText(str(run))
        if not resume and not self._usable():
            self._say("Choose a folder with usable images first.")
            return
        kind = self.settings.choice().kind
        data = self.report.root if self.report is not None else ""
        device = str(self.bridge.engine.device)
        cfg = self.settings.config(data, device, dict(self.model_options.get(kind, {})))
        cfg |= self.config_overrides
        self.run_dir, self._publish_name, self.paused = run, name, False
        self.last_report = None
        self.plot.clear()
        self.preview.clear_image()
        self.progress.reset("Resuming…" if resume else "Starting…")
        self.progress.set_device(self.device_label())
        if resume:
            self._replay_log(run)
        self.open_button.hide()
        self._train_job = self.bridge.submit(TrainRun(str(run), resume, cfg), "train")
        self.tabs.setCurrentWidget(self.watch_page)
        self._say(("Resuming " if resume else "Training in ") + f"{run}. The studio stays usable.")
        self._sync()

    def toggle_pause(self) -> None:
        """Pause between steps, or carry on."""
        if self._train_job is None:
            return
        if self.paused:
            self.bridge.resume_training()
        else:
            self.bridge.pause_training()
        self.paused = not self.paused
        self.progress.paused = self.paused
        self.progress.refresh()
        self._say("Paused. Resume carries on exactly." if self.paused else "Training…")
        self._sync()

    def cancel(self) -> None:
        """Stop training (the state is kept) or the folder check."""
        if self._train_job is not None:
            self.bridge.cancel(self._train_job)
            self._say("Stopping after this step…")
        elif self._scan_job is not None:
            self.bridge.cancel(self._scan_job)

    def publish(self, name: str | None = None) -> None:
        """Export the run as a model in the user's model folder."""
        run = self.run_dir or self.run.folder()
        name = name or self.run.name()
        if not name or run is None:
            self._say("Give the model a name first (letters, digits, - _ . only).")
            return
        self._publish_name = name
        self._publish_job = self.bridge.submit(PublishRun(str(run), name), "render")
        self._say(f"Publishing {name}…")
        self._sync()

    # ------------------------------------------------------------------ events

    def _on_event(self, ev: JobEvent) -> None:
        if ev.job_id == self._train_job:
            self._train_event(ev)
        elif ev.job_id == self._scan_job:
            self._scan_event(ev)
        elif ev.job_id == self._publish_job:
            self._publish_event(ev)
        elif ev.job_id == self._estimate_job:
            self._estimate_event(ev)

    def _estimate_event(self, ev: JobEvent) -> None:
        if ev.kind not in ("result", "failed", "cancelled"):
            return
        self._estimate_job = None
        if ev.kind == "cancelled":
            return
        if ev.kind == "failed":
            self.estimate = None
            self.estimate_view.say(f"Could not measure the training speed: {ev.error}")
            return
        self.estimate = ev.payload
        self._show_estimate()

    def _show_estimate(self) -> None:
        assert self.estimate is not None
        choice = self.settings.choice()
        tune = self.settings.fine_tune_choice()
        new_gan = choice.kind == "gan" and not choice.base
        self.estimate_view.show_estimate(
            self.estimate,
            self._device(),
            tune.base if tune is not None and not choice.base else None,
            new_gan and self.settings.gan_size.currentIndex() > 0,
        )

    def _steps_changed(self, steps: int) -> None:
        """A new step count rescales the measured speed; only other settings re-time it."""
        if self.estimate is None or self._estimate_job is not None:
            self._estimate_later()
            return
        self.estimate = self.estimate.for_steps(steps)
        self._show_estimate()

    def _estimate_later(self, *_args: object) -> None:
        self.estimate = None
        self.estimate_view.say("")
        if self._usable() and self._train_job is None:
            self._estimate_timer.start()

    def _use_smaller(self) -> None:
        if self.settings.smaller():
            self._say("A smaller model: measuring its speed again…")

    def _use_fine_tune(self) -> None:
        tune = self.settings.fine_tune_choice()
        if tune is not None:
            self.settings.select(tune.label)
            self._say(f"Fine-tuning {tune.base}: it keeps that model's size and resolution.")

    def _device(self) -> str:
        """What to call the device in a sentence: "CPU" or "GPU"."""
        return "CPU" if self.bridge.engine.device.type == "cpu" else "GPU"

    def _scan_event(self, ev: JobEvent) -> None:
        if ev.kind == "progress":
            self.data.show_text(f"Checking… {ev.progress:.0%}")
            return
        if ev.kind not in ("result", "failed", "cancelled"):
            return
        self._scan_job = None
        if ev.kind == "result":
            report: ScanReport = ev.payload
            self.report = report
            self.data.show_text(describe_report(report))
            self.settings.set_images(len(report.usable), report.classes)
            self._suggest_names()
            self._estimate_later()
            if report.usable:
                self._say(f"{len(report.usable):,} images ready. Check the settings, then Start.")
            else:
                self._say("That folder has no usable images, so there is nothing to train on.")
        elif ev.kind == "failed":
            self.data.show_text(f"Could not check the folder: {ev.error}")
            self._say("Choose a folder of images to begin.")
        else:
            self.data.show_text("Check cancelled.")
        self._sync()

    def _train_event(self, ev: JobEvent) -> None:
        if ev.kind == "progress" and ev.payload is not None:
            self._step(ev.payload)
            return
        if ev.kind not in ("result", "cancelled", "failed"):
            return
        self._train_job = None
        self.paused = self.progress.paused = False
        self.progress.ended = {"result": "Finished", "cancelled": "Stopped"}.get(ev.kind, "Failed")
        self.progress.refresh()
        if self.progress.last is None:  # ended before its first step
            self.progress.text.setText(f"{self.progress.ended}.")
        if ev.kind == "result":
            self.publish(self._publish_name)
        elif ev.kind == "cancelled":
            self._say(
                f"Stopped. The last state is kept in {self.run_dir} (state.pt): "
                "Start → Resume carries on, Publish uses the model as it is."
            )
        else:
            self._say(f"Training stopped: {ev.error}")
        self._sync()

    def _publish_event(self, ev: JobEvent) -> None:
        if ev.kind not in ("result", "failed", "cancelled"):
            return
        self._publish_job = None
        name = self._publish_name
        if ev.kind == "result":
            self.refresh_models()
            self.published.emit(name)
            self._say(f"Published {name}: it is in the model list now ({ev.payload}).")
            self.open_button.show()
        elif ev.kind == "failed":
            self._say(f"Could not publish {name}: {ev.error}")
        self._sync()

    def _step(self, report: StepReport) -> None:
        self.last_report = report
        self._plot(report.step, {**report.losses, **report.metrics})
        if report.preview is not None:
            self.preview.set_image(report.preview)
        self.progress.add(report)
        if not self._refresh.isActive():
            self._refresh.start()

    def _plot(self, step: int, figures: dict[str, Any]) -> None:
        left = {k: float(figures[k]) for k in LEFT_FIGURES if k in figures}
        self.plot.add(step, left)
        if "psnr" in figures:  # VAE: measured every step
            self.plot.add(step, {"psnr": float(figures["psnr"])}, right=True)
        metrics = {k: float(figures[k]) for k in RIGHT_FIGURES if k in figures}
        if metrics:
            self.plot.add(step, metrics, right=True, smooth=False)

    def _replay_log(self, run: Path) -> None:
        for record in read_log(run):
            self._plot(int(record["step"]), record)

    # ------------------------------------------------------------------ helpers

    def _say(self, text: str) -> None:
        self.message.setText(text)

    def _usable(self) -> bool:
        r = self.report
        return r is not None and bool(r.usable) and Path(r.root) == Path(self.data.folder())

    def _suggest_names(self) -> None:
        choice = self.settings.choice()
        folder = self.data.folder()
        stem = (slug(Path(folder).name) if folder else "") or "my-images"
        base = f"{slug(choice.base)}-{stem}" if choice.base else f"{stem}-{choice.kind}"
        self.run.suggest(base, {e.name for e in self._entries})

    def _sync(self) -> None:
        """Buttons and fields follow what is running."""
        training, busy = self._train_job is not None, self._publish_job is not None
        scanning = self._scan_job is not None
        run = self.run.folder()
        has_run = run is not None and (run / "run.json").is_file()
        has_state = run is not None and (run / "state.pt").is_file()
        idle = not (training or busy or scanning)
        self.start_button.setEnabled(idle and (self._usable() or has_run))
        self.pause_button.setEnabled(training)
        self.pause_button.setText("Resume" if self.paused else "Pause")
        self.cancel_button.setEnabled(training or scanning)
        self.publish_button.setEnabled(not training and not busy and has_state)
        for box in (self.data, self.settings, self.run):
            box.setEnabled(not training)
