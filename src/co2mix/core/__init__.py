"""The pipeline's foundation: errors, paths, typed params, record schemas, atomic writes.

Imports no other co2mix layer, only libraries; every other layer builds on it. It knows no
plant (lint-imports refuses :mod:`co2mix.physics`, :mod:`co2mix.simulate` and
:mod:`co2mix.plant_params` here), so a CSV dataset's stages never load the plant's code.
"""
