"""Backbones."""
from .eba_resnet import EBABasicBlock, EBABottleneck, EBAResNet

__all__ = ['EBAResNet', 'EBABasicBlock', 'EBABottleneck']
