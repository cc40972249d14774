"""co2mix: a reproducible ML pipeline for low-CO2 concrete mixes.

A pipeline run is some thirty short processes (``dvc repro``), each importing the same
sixty co2mix modules: they keep their compiled bytecode even where
``PYTHONDONTWRITEBYTECODE`` is set (container images often set it), or every process
compiles them again (0.2 s each, 6 s of a run). Only co2mix's own modules are concerned:
installed packages come with their bytecode.
"""

import sys

sys.dont_write_bytecode = False
