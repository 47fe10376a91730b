"""QtCore/QtGui glue between the engine and the window (never imports torch itself)."""

from studio.app.bridge import EngineBridge
from studio.app.images import array_to_qimage, qimage_to_array
from studio.app.session import SessionState

__all__ = ["EngineBridge", "SessionState", "array_to_qimage", "qimage_to_array"]
