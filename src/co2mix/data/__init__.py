"""The data layer: reading a dataset's batches, fault detectors, deepchecks checks,
cleaning and the split, and scoring detections against the simulator's truth."""

import warnings

# deepchecks 0.19 calls scikit-learn APIs that the pinned 1.5 deprecates, at import time
# and at run time; the warnings say nothing about the data, so keep them off the console
# (set here, before any module of this layer imports deepchecks).
for _module in ("sklearn", "deepchecks"):
    warnings.filterwarnings("ignore", category=FutureWarning, module=_module)
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=_module)
# deepchecks 0.19 imports pkg_resources (setuptools is pinned to 80.9, the last to ship
# it), which warns on import that it is deprecated: not about the data either.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
