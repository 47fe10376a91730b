"""``python -m studio.cli``."""

import sys

from studio.cli.parser import main

sys.exit(main())
