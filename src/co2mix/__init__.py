"""co2mix: a reproducible ML pipeline for low-CO2 concrete mixes."""
