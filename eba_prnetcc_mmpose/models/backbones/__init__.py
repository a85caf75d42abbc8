"""Backbones."""
from .eba_resnet import EBABasicBlock, EBABottleneck, EBAResNet, UnknownDepthError

__all__ = ['EBAResNet', 'EBABasicBlock', 'EBABottleneck', 'UnknownDepthError']
