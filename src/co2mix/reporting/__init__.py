"""The pull-request report: reads metrics through their schemas and git/DVC diffs; never
imports model or optimizer code. ``python -m co2mix.reporting --base origin/main``."""
