"""Entry point of `python -m integrations`."""

import sys

from integrations.cli import main

sys.exit(main())
