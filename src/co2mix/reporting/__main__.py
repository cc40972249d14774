"""``python -m co2mix.reporting --base origin/main [--out report.md]``."""

import sys

from co2mix.reporting.report import report_main

sys.exit(report_main())
