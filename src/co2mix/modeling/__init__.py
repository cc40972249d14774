"""Models: the registry and its models, the XGBoost search, training one matrix cell,
evaluation with champions, per-feature explanations, and the trained-model store."""
