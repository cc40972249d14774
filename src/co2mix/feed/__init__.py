"""The live feed: the plant's batches through a Redis stream, scored as they arrive."""
