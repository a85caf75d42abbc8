"""Reusable layers: bridge attention and the ``Mish`` activation registration."""
from .bridge_attention import BridgeAttention
from .mish import register_mish

__all__ = ['BridgeAttention', 'register_mish']
