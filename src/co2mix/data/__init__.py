"""The data layer: reading a dataset's batches, fault detectors, deepchecks checks,
cleaning and the split, and scoring detections against the simulator's truth.

The library warnings deepchecks raises on import are silenced by
:func:`co2mix.startup.quiet_library_warnings` in the processes co2mix starts itself (stage
scripts, the ``co2mix`` command), not here: importing this package changes no global
warning filter."""
