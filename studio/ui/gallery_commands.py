"""Undo steps for the gallery, on the window's one undo stack (Ctrl+Z undoes in order)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from studio.app.controller import SessionController
from studio.app.session import SessionState
from studio.gallery import GalleryError


class GalleryEditCommand(QUndoCommand):
    """A gallery change already made (so a failure is reported before it is recorded):
    the first ``redo`` (from ``push``) does nothing; later ones call ``do`` again.

    ``report`` shows a failure of an undo or redo (e.g. the disk became read-only).
    """

    def __init__(
        self,
        text: str,
        do: Callable[[], None],
        undo: Callable[[], None],
        report: Callable[[str], None],
    ) -> None:
        super().__init__(text)
        self._do = do
        self._undo = undo
        self._report = report
        self._first = True

    def redo(self) -> None:
        """Make the change again (not the first time: it was made before the push)."""
        if self._first:
            self._first = False
            return
        self._run(self._do)

    def undo(self) -> None:
        """Take the change back."""
        self._run(self._undo)

    def _run(self, step: Callable[[], None]) -> None:
        try:
            step()
        except GalleryError as exc:
            self._report(str(exc))


class OpenItemCommand(QUndoCommand):
    """Show a gallery item's state, and remember the item as where the branch began.

    Undo shows the state before and restores the previous origin, so lineage follows
    the history exactly.
    """

    def __init__(
        self,
        controller: SessionController,
        before: SessionState,
        after: SessionState,
        set_origin: Callable[[int | None], None],
        origins: tuple[int | None, int | None],
        text: str,
    ) -> None:
        super().__init__(text)
        self.controller = controller
        self.before = before
        self.after = after
        self.set_origin = set_origin
        self.origins = origins

    def redo(self) -> None:
        """Show the item's state; it is now the origin of what follows."""
        self.set_origin(self.origins[1])
        self.controller.apply(self.after)

    def undo(self) -> None:
        """Back to the state and origin before the item was opened."""
        self.set_origin(self.origins[0])
        self.controller.apply(self.before)
