"""Model components registered into ``mmpose.registry.MODELS`` on import (and ``Mish``)."""
from .backbones import EBABasicBlock, EBABottleneck, EBAResNet
from .heads import MLPSimCCHead
from .layers import BridgeAttention
from .losses import EBAKLDiscretLoss

__all__ = [
    'EBAResNet', 'EBABasicBlock', 'EBABottleneck', 'MLPSimCCHead', 'EBAKLDiscretLoss',
    'BridgeAttention'
]
