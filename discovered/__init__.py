"""Optimizers exported by symopt (generated; see the *.provenance.json files)."""

from .lion_optax import lion, scale_by_lion

__all__ = ['lion', 'scale_by_lion']
