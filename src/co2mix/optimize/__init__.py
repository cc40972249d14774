"""Optimization benchmark: minimise predicted CO2 of a 1 m3 mix subject to strength,
mix limits and data support; check each proposal against the simulator's physics."""
