"""EBA-PRNetCC as an MMPose 1.x plugin.

``import eba_prnetcc_mmpose`` (or ``custom_imports=dict(imports=['eba_prnetcc_mmpose'])`` in a
config) registers into MMPose's registries:

- ``EBAResNet``: ResNet with bridge attention in every residual block (backbone);
- ``MLPSimCCHead``: deconvolutions with BN + Mish and a per-axis MLP (head);
- ``EBAKLDiscretLoss``: the paper's KL discrete loss (eq. 4-5);
- ``Mish`` as an activation type for any MMCV/MMPose module;

and lets torch >= 2.6 load MMEngine checkpoints safely (resume, ``tools/test.py``).
"""
from .models import (BridgeAttention, EBABasicBlock, EBABottleneck, EBAKLDiscretLoss,
                     EBAResNet, MLPSimCCHead)
from .utils import allow_mmengine_checkpoints
from .version import __version__

allow_mmengine_checkpoints()

__all__ = [
    '__version__', 'EBAResNet', 'EBABasicBlock', 'EBABottleneck', 'MLPSimCCHead',
    'EBAKLDiscretLoss', 'BridgeAttention', 'allow_mmengine_checkpoints'
]
