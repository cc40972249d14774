"""The simulated plant's params: its own sections (generator, optimizer, forecast) and the
params tree that puts them beside every dataset's (:class:`.root.PlantParams`).

Here, not in :mod:`co2mix.core`, because they are built on the plant's physics: the core
knows no plant, so a CSV profile's stages neither import nor depend on :mod:`co2mix.physics`.
:func:`co2mix.core.params_file.parse_params` loads :class:`.root.PlantParams` by name when
a params file says ``data.source: plant``.
"""
