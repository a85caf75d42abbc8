"""Model components registered into ``mmpose.registry.MODELS`` on import."""
from .backbones import EBABasicBlock, EBABottleneck, EBAResNet
from .heads import MLPSimCCHead
from .layers import BridgeAttention, register_mish
from .losses import EBAKLDiscretLoss

__all__ = [
    'EBAResNet', 'EBABasicBlock', 'EBABottleneck', 'MLPSimCCHead', 'EBAKLDiscretLoss',
    'BridgeAttention', 'register_mish'
]
