"""EBA-PRNetCC as an MMPose 1.x plugin.

``import eba_prnetcc_mmpose`` (or ``custom_imports=dict(imports=['eba_prnetcc_mmpose'])`` in a
config) registers into MMPose's registries:

- ``EBAResNet``: ResNet with bridge attention in every residual block (backbone);
- ``MLPSimCCHead``: deconvolutions with BN + Mish and a per-axis MLP (head);
- ``EBAKLDiscretLoss``: the paper's KL discrete loss (eq. 4-5);
- ``Mish`` as an activation type for any MMCV/MMPose module;

and, process-wide once imported:

- routes MMEngine's checkpoint loads through a restricted loader that never runs code from a file
  (docs/checkpoint_security.md);
- adds a one-line hint (close matches, missing ``custom_imports``) under the traceback of an
  uncaught registry error, e.g. a typo in a config's ``type`` (the previous ``sys.excepthook``
  still prints the traceback first).
"""
from .version import __version__

try:
    import mmpose  # noqa: F401  (the training stack)
except ModuleNotFoundError as e:  # a deployment-only install: numpy + OpenCV + a runtime
    if e.name != 'mmpose':
        raise  # mmpose is there but broken: say so rather than register nothing
    __all__ = ['__version__']  # eba_prnetcc_mmpose.deploy.predictor works without MMPose
else:
    from .models import (BridgeAttention, EBABasicBlock, EBABottleneck, EBAKLDiscretLoss,
                         EBAResNet, MLPSimCCHead)
    from . import engine  # noqa: F401  (hooks: CPUThreadsHook, ExactResumeHook)
    from .utils import allow_mmengine_checkpoints
    from .utils.registry_hints import install_excepthook

    allow_mmengine_checkpoints()
    install_excepthook()

    __all__ = [
        '__version__', 'EBAResNet', 'EBABasicBlock', 'EBABottleneck', 'MLPSimCCHead',
        'EBAKLDiscretLoss', 'BridgeAttention', 'allow_mmengine_checkpoints'
    ]
