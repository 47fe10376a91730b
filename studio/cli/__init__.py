"""The ``latent-studio`` command line (no Qt: it runs on servers and in CI)."""

from studio.cli.common import EXIT_FAILED, EXIT_USAGE, CliError
from studio.cli.parser import build_parser, main

__all__ = ["EXIT_FAILED", "EXIT_USAGE", "CliError", "build_parser", "main"]
