"""Entry point of `python -m integrations`."""

import sys

from integrations.processes.cli import main

sys.exit(main())
