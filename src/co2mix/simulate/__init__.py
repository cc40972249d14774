"""The simulated concrete plant: recipes, weather, process, drift scenarios and sensor
faults, producing reference and current batches with known truth (:mod:`.dataset`).
The noise-free equations it samples from are :mod:`co2mix.physics`."""
