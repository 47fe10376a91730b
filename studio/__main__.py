"""``latent-studio`` / ``python -m studio``: the window with no arguments, else the CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Open the studio window when called bare; run a headless command otherwise."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        from studio.ui.main import run_app

        return run_app()
    from studio.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
