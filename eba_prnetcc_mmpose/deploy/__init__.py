"""Deployment: ONNX / OpenVINO export, int8 post-training quantisation, runtimes, and an
MMPose-free top-down predictor.

:mod:`.predictor` and :mod:`.runtime` need only numpy, OpenCV and the runtime (no torch, no
MMPose); the export functions need the training stack. Names are imported lazily so that
``from eba_prnetcc_mmpose.deploy.predictor import PosePredictor`` does not pull in torch.
"""
import importlib
from typing import Any

_EXPORTS = {
    'export_onnx': 'onnx_export', 'export_model': 'onnx_export', 'export_openvino': 'onnx_export',
    'onnx_parity': 'onnx_export', 'deploy_meta': 'onnx_export',
    'OneExpMish': 'one_exp_mish', 'replace_mish': 'one_exp_mish',
    'PosePredictor': 'predictor', 'PoseResult': 'predictor', 'draw_poses': 'predictor',
    'preprocess_crops': 'predictor',
    'InferenceSession': 'runtime', 'DeployError': 'runtime', 'cpu_bf16_support': 'runtime',
    'cpu_int8_support': 'runtime',
    'quantize_export': 'quantize', 'calibration_crops': 'quantize',
    'coco_calibration_samples': 'quantize',
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f'.{_EXPORTS[name]}', __name__), name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
