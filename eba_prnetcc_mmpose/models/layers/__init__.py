"""Layers: bridge attention; importing this package also registers the ``Mish`` activation."""
from . import activations  # noqa: F401  (registers 'Mish')
from .bridge_attention import BridgeAttention

__all__ = ['BridgeAttention']
