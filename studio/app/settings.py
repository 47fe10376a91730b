"""The window's settings file: INI format in the user's data folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from studio.models.catalog import user_data_root

SETTINGS_FILE = "studio.ini"


def settings_path() -> Path:
    """Where the settings live (follows ``LATENT_STUDIO_HOME``, so tests are isolated)."""
    return user_data_root() / SETTINGS_FILE


def open_settings() -> QSettings:
    """The settings store; its folder is created if needed."""
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return QSettings(str(path), QSettings.Format.IniFormat)
