"""EBA-PRNetCC as an MMPose 1.x plugin.

``import eba_prnetcc_mmpose`` (or ``custom_imports=dict(imports=['eba_prnetcc_mmpose'])`` in a
config) does two things and nothing else:

- registers into MMPose's registries ``EBAResNet`` (backbone), ``MLPSimCCHead`` (head),
  ``EBAKLDiscretLoss`` (loss), ``Mish`` as an activation type for any MMCV/MMPose module, and
  the training hooks of :mod:`.engine` (``CPUThreadsHook``, ``ExactResumeHook``);
- routes MMEngine's checkpoint loads through a restricted loader that never runs code from a
  file (docs/checkpoint_security.md).

No hooks, logging, warning filters, backends or environment variables are touched
(tests/test_package_import.py compares the process state before and after the import).
Without MMPose installed the package imports and registers nothing, so a deployment-only
install can use :mod:`eba_prnetcc_mmpose.deploy.predictor`.
"""
from .version import __version__

try:
    import mmpose  # noqa: F401  (the training stack)
except ModuleNotFoundError as e:  # a deployment-only install: numpy + OpenCV + a runtime
    if e.name != 'mmpose':
        raise  # mmpose is there but broken: say so rather than register nothing
    __all__ = ['__version__']
else:
    from .models import (BridgeAttention, EBABasicBlock, EBABottleneck, EBAKLDiscretLoss,
                         EBAResNet, MLPSimCCHead)
    from . import engine  # noqa: F401  (hooks: CPUThreadsHook, ExactResumeHook)
    from .utils import allow_mmengine_checkpoints

    allow_mmengine_checkpoints()

    __all__ = [
        '__version__', 'EBAResNet', 'EBABasicBlock', 'EBABottleneck', 'MLPSimCCHead',
        'EBAKLDiscretLoss', 'BridgeAttention', 'allow_mmengine_checkpoints'
    ]
