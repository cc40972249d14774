"""``python -m co2mix serve ...``: the same as the ``co2mix`` command."""

import sys

from co2mix.serving.cli import main

sys.exit(main())
