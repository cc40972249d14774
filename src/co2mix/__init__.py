"""co2mix: a reproducible ML pipeline for low-CO2 concrete mixes.

Importing it changes nothing global; the stage scripts call
:func:`co2mix.startup.prepare_stage_process` themselves."""
