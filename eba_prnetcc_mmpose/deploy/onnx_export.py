"""Export a SimCC pose model to ONNX (dynamic batch), check it in ONNX Runtime, decode its output."""
import os
import os.path as osp
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from torch import nn

from ..analysis.complexity import build_model, model_input_size


class SimCCExportWrapper(nn.Module):
    """``image (N, 3, H, W) -> (simcc_x (N, K, W*r), simcc_y (N, K, H*r))``, no pre/post-processing.

    Inputs are normalised images (what MMPose's ``PoseDataPreprocessor`` produces). With
    ``require_simcc=False`` any head's raw output is passed through (e.g. heatmaps, for timing).
    """

    def __init__(self, model: nn.Module, require_simcc: bool = True):
        super().__init__()
        self.model = model
        self.require_simcc = require_simcc

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        outs = self.model._forward(x)
        is_simcc = isinstance(outs, (tuple, list)) and len(outs) == 2
        if self.require_simcc and not is_simcc:
            raise TypeError(f'the head {type(self.model.head).__name__} does not return SimCC '
                            f'(x, y) logits; only SimCC-style heads can be exported here.')
        return tuple(outs) if isinstance(outs, (tuple, list)) else (outs, )


def export_onnx(config: str, out_file: str, checkpoint: Optional[str] = None,
                opset: int = 17, batch_size: int = 1, require_simcc: bool = True) -> Dict:
    """Export ``config`` (+ ``checkpoint``) to ONNX with a dynamic batch axis.

    Args:
        config (str): Model config.
        out_file (str): Where to write the ``.onnx`` file.
        checkpoint (str, optional): Weights; random weights (with a warning) when None.
        opset (int): ONNX opset. Defaults to 17.
        batch_size (int): Batch of the example input used for tracing. Defaults to 1.
        require_simcc (bool): Refuse heads that do not output SimCC (x, y) logits. False exports
            any head's raw output (``output_0``, ...), e.g. to time heatmap models.

    Returns:
        dict: ``onnx`` (path), ``input_size`` (W, H), ``model`` (the PyTorch model, eval mode).
    """
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    model, cfg = build_model(config)
    if checkpoint is not None:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, checkpoint, map_location='cpu')
    else:
        import warnings
        warnings.warn('exporting with random weights: no checkpoint given')
    model.eval()
    w, h = model_input_size(cfg)
    wrapper = SimCCExportWrapper(model, require_simcc).eval()
    dummy = torch.randn(batch_size, 3, h, w)
    try:
        with torch.no_grad():
            n_out = len(wrapper(dummy))
    except TypeError as e:
        raise TypeError(f'{config}: cannot export: {e}') from e
    names = ['simcc_x', 'simcc_y'] if require_simcc else [f'output_{i}' for i in range(n_out)]
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    torch.onnx.export(
        wrapper, (dummy, ), out_file, input_names=['input'], output_names=names,
        dynamic_axes={n: {0: 'batch'} for n in ['input'] + names},
        opset_version=opset, dynamo=False)
    return dict(onnx=out_file, input_size=(w, h), model=model, cfg=cfg)


def onnx_parity(onnx_file: str, model: nn.Module, inputs: torch.Tensor) -> Dict[str, float]:
    """Max absolute difference of ONNX Runtime's and PyTorch's SimCC logits on ``inputs``."""
    import onnxruntime as ort
    session = ort.InferenceSession(onnx_file, providers=['CPUExecutionProvider'])
    ort_x, ort_y = session.run(None, {'input': inputs.numpy()})
    with torch.no_grad():
        pt_x, pt_y = SimCCExportWrapper(model).eval()(inputs)
    return dict(max_abs_diff_x=float(np.abs(ort_x - pt_x.numpy()).max()),
                max_abs_diff_y=float(np.abs(ort_y - pt_y.numpy()).max()),
                outputs=(ort_x, ort_y))


def decode_simcc(simcc_x: np.ndarray, simcc_y: np.ndarray, codec_cfg: Dict):
    """Decode (ONNX) SimCC logits to keypoints in model-input pixels with MMPose's codec."""
    from mmpose.registry import KEYPOINT_CODECS
    codec = KEYPOINT_CODECS.build(codec_cfg)
    return codec.decode(simcc_x, simcc_y)
