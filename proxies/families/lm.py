"""Character-level language modelling on the shipped corpus (transformer or MLP)."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import nn_util as _unused  # noqa: F401  (placeholder, replaced below)
