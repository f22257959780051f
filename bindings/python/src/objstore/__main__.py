"""``python -m objstore``: the command line (see :mod:`objstore.cli`)."""

import sys

from .cli import main

sys.exit(main())
