"""torch optimizers exported by symopt (generated); torch is imported on first use."""

import importlib

_MODULES = {'Lion': 'lion'}


def __getattr__(attr):
    if attr in _MODULES:
        return getattr(importlib.import_module(f"{__package__}.{_MODULES[attr]}_torch"), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
