"""Make ``act_cfg=dict(type='Mish')`` buildable by MMCV's ``build_activation_layer``.

MMCV 2.1 registers ReLU, GELU, SiLU, Swish, HSwish, ... but not Mish. We register PyTorch's own
``nn.Mish`` (no re-implementation) into MMEngine's root ``MODELS`` registry, the one
``build_activation_layer`` uses, so every MMCV/MMPose module that takes an ``act_cfg`` can use it.
If a future MMCV registers ``Mish`` itself, its registration is kept.
"""
from mmengine.registry import MODELS
from torch import nn


def register_mish() -> None:
    """Register ``torch.nn.Mish`` as activation type ``'Mish'`` unless one already exists."""
    if MODELS.get('Mish') is None:
        MODELS.register_module(name='Mish', module=nn.Mish)


register_mish()

__all__ = ['register_mish']
