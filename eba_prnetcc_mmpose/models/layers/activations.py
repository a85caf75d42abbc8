"""Activation type ``'Mish'`` for ``act_cfg`` (MMCV 2.1 registers ReLU, SiLU, GELU ... not Mish).

PyTorch's own ``nn.Mish`` goes into MMEngine's root ``MODELS`` registry, the one MMCV's
``build_activation_layer`` builds from, so every MMCV/MMPose module with an ``act_cfg`` can use it.
A ``Mish`` that a future MMCV registers itself is kept.
"""
from mmengine.registry import MODELS
from torch import nn

if MODELS.get('Mish') is None:
    MODELS.register_module(name='Mish', module=nn.Mish)
