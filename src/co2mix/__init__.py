"""co2mix: a reproducible ML pipeline for low-CO2 concrete mixes."""

from co2mix.startup import cheap_scipy_docstrings, keep_bytecode

keep_bytecode()
cheap_scipy_docstrings()
