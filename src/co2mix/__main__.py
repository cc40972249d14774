"""``python -m co2mix ...``: the same as the ``co2mix`` command."""

import sys

from co2mix.cli import main

sys.exit(main())
