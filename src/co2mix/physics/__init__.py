"""The physics of concrete: noise-free equations, constants and their coefficients.

The bottom layer: it imports nothing else of co2mix, so the plant simulator, the
optimizer's truth check and the params that configure them all share one definition of
a mix (its columns, densities and volume balance), of CO2 and of strength.
"""
