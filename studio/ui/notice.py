"""A non-modal notice bar above the canvas for errors and warnings."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from studio.ui.naming import named


class NoticeBar(QFrame):
    """Shows one message; "Details" opens the traceback, "×" dismisses it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.text = named(QLabel(""), "noticeText")
        self.text.setWordWrap(True)
        self.details_button = named(QPushButton("Details…"), "noticeDetails")
        self.close_button = named(QPushButton("✕"), "noticeClose")
        self.close_button.setToolTip("Dismiss")
        self.close_button.setFixedWidth(32)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.details_button)
        layout.addWidget(self.close_button)
        self.details = ""
        self._box: QMessageBox | None = None
        self.details_button.clicked.connect(self.show_details)
        self.close_button.clicked.connect(self.hide)
        self.hide()

    def show_error(self, message: str, details: str = "") -> None:
        """Show ``message``; ``details`` (a traceback) is one click away."""
        self.text.setText(message)
        self.details = details
        self.details_button.setVisible(bool(details))
        self.show()

    def show_details(self) -> None:
        """The full traceback in a non-modal box."""
        if self._box is None:
            self._box = QMessageBox(QMessageBox.Icon.Warning, "Job failed", "", parent=self)
            self._box.setModal(False)
        self._box.setText(self.text.text())
        self._box.setDetailedText(self.details)
        self._box.show()
