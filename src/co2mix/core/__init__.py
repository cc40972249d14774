"""The pipeline's foundation: errors, paths, typed params, record schemas, atomic writes.

Imports only :mod:`co2mix.physics` (for the names and coefficients of a mix) and libraries;
every other layer builds on it.
"""
