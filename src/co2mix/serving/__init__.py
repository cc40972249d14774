"""The champions behind an HTTP API and a page, every request logged (``co2mix serve``)."""
