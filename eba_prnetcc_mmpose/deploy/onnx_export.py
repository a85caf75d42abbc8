"""Export a SimCC pose model to ONNX (dynamic batch) and OpenVINO IR, with the metadata the
run-time predictor needs; check the export against PyTorch.

The graph is backbone + head only (normalised image in, SimCC logits out); pre- and
post-processing stay outside it (:mod:`.predictor`), as rtmlib does. MMDeploy 1.3.1 does not
work with this stack (docs/deploy.md), so a plain ``torch.onnx.export(..., dynamo=False)`` is
used.
"""
import json
import os
import os.path as osp
import tempfile
import warnings
from typing import Any, Dict, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config
from torch import nn

from ..utils.model_build import (ConfigLike, RawForward, build_model, model_input_size,
                                 preprocess_info)
from .one_exp_mish import replace_mish
from .predictor import META_VERSION, meta_path
from .runtime import InferenceSession


def _pipeline_setting(cfg: Config, transform: str, key: str, default: Any) -> Any:
    """``key`` of the first ``transform`` in the config's test (or val) pipeline."""
    for loader in ('test_dataloader', 'val_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        for step in dataset.get('pipeline') or []:
            if step.get('type') == transform:
                return step.get(key, default)
    return default


def training_set(cfg: Config) -> Tuple[str, str]:
    """``(annotation file, image folder)`` of the config's training set (int8 calibration
    draws its crops from it), resolved against the dataset's ``data_root``."""
    dataset = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    while 'dataset' in dataset and 'ann_file' not in dataset:  # RepeatDataset and the like
        dataset = dataset['dataset']
    root = dataset.get('data_root') or ''
    ann, img = dataset.get('ann_file'), (dataset.get('data_prefix') or {}).get('img', '')
    if not ann:
        raise ValueError(f'{cfg.filename or "config"}: train_dataloader.dataset has no '
                         f'ann_file to calibrate int8 on; pass --calib-ann and --calib-img-dir')
    return osp.join(root, ann), osp.join(root, img)


def deploy_meta(model: nn.Module, cfg: Config, **extra) -> Dict[str, Any]:
    """Everything the predictor needs beside the graph, read from the built model.

    Input size, split ratio, normalisation, flip pairs and keypoint names come from the model
    (head, data preprocessor, ``dataset_meta``); the box padding and UDP flag from the test
    pipeline's ``GetBBoxCenterScale`` / ``TopdownAffine``.
    """
    head = model.head
    decoder = getattr(head, 'decoder', None)
    dataset_meta = getattr(model, 'dataset_meta', None) or {}
    names = dataset_meta.get('keypoint_id2name') or {}
    links = dataset_meta.get('skeleton_links') or []
    flip_test = bool((getattr(model, 'test_cfg', None) or {}).get('flip_test', False))
    meta = dict(
        meta_version=META_VERSION,
        decoder=type(decoder).__name__ if decoder is not None else None,
        input_size=list(model_input_size(model)),
        simcc_split_ratio=float(getattr(head, 'simcc_split_ratio',
                                        getattr(decoder, 'simcc_split_ratio', 1.0))),
        num_keypoints=int(getattr(head, 'out_channels', len(names) or 0)),
        bbox_padding=float(_pipeline_setting(cfg, 'GetBBoxCenterScale', 'padding', 1.25)),
        use_udp=bool(_pipeline_setting(cfg, 'TopdownAffine', 'use_udp', False)),
        use_dark=bool(getattr(decoder, 'use_dark', False)),
        flip_test=flip_test,
        flip_indices=[int(i) for i in dataset_meta.get('flip_indices', [])],
        keypoint_names=[names[i] for i in sorted(names)],
        skeleton_links=[[int(a), int(b)] for a, b in links],
        dataset_name=dataset_meta.get('dataset_name'),
        outputs=['simcc_x', 'simcc_y'],
        **preprocess_info(model))
    meta.update(extra)
    return meta


def export_onnx(config: ConfigLike, out_file: str, checkpoint: Optional[str] = None,
                opset: int = 17, batch_size: int = 1, require_simcc: bool = True,
                openvino_ir: bool = False, one_exp_mish: bool = False,
                cfg_options: Optional[Dict] = None) -> Dict:
    """Export ``config`` (+ ``checkpoint``) to ONNX with a dynamic batch axis.

    Args:
        config (str | Config): Model config.
        out_file (str): Where to write the ``.onnx`` file; the metadata JSON (and, with
            ``openvino_ir``, ``.xml`` + ``.bin``) go beside it under the same stem.
        checkpoint (str, optional): Weights; random weights (with a warning) when None.
        opset (int): ONNX opset. Defaults to 17.
        batch_size (int): Batch of the example input used for tracing. Defaults to 1.
        require_simcc (bool): Refuse heads that do not output SimCC (x, y) logits. False exports
            any head's raw output (``output_0``, ...), e.g. to time heatmap models.
        openvino_ir (bool): Also write OpenVINO IR (fp32 weights). Defaults to False.
        one_exp_mish (bool): Write Mish in the ONNX file as ``x n / (n + 2)``,
            ``n = e^x (e^x + 2)`` (:mod:`.one_exp_mish`; faster in ONNX Runtime) instead of
            Softplus-Tanh-Mul. The OpenVINO IR keeps the standard form, which OpenVINO fuses.
            Defaults to False.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        dict: ``onnx`` (path), ``openvino`` (IR path or None), ``meta`` (path or None),
        ``input_size`` (W, H), ``model`` (the PyTorch model, eval mode, original Mish),
        ``cfg``.
    """
    model, cfg = build_model(config, cfg_options, checkpoint=checkpoint)
    if checkpoint is None:
        warnings.warn('exporting with random weights: no checkpoint given')
    return export_model(model, cfg, out_file, opset, batch_size, require_simcc, openvino_ir,
                        one_exp_mish, checkpoint=checkpoint)


def export_model(model: nn.Module, cfg: Config, out_file: str, opset: int = 17,
                 batch_size: int = 1, require_simcc: bool = True, openvino_ir: bool = False,
                 one_exp_mish: bool = False, checkpoint: Optional[str] = None) -> Dict:
    """:func:`export_onnx` for a model that is already built (e.g. the one being timed).

    ``cfg`` is the config it was built from (for the test pipeline's box padding);
    ``checkpoint`` is only recorded in the metadata.
    """
    model.eval()
    w, h = model_input_size(model)
    graph_model = replace_mish(model) if one_exp_mish else model
    wrapper = RawForward(graph_model, require_simcc).eval()
    dummy = torch.randn(batch_size, 3, h, w, device=next(model.parameters()).device)
    try:
        with torch.no_grad():
            n_out = len(wrapper(dummy))
    except TypeError as e:
        raise TypeError(f'{cfg.filename or "config"}: cannot export: {e}') from e
    names = ['simcc_x', 'simcc_y'] if require_simcc else [f'output_{i}' for i in range(n_out)]
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
        torch.onnx.export(
            wrapper, (dummy, ), out_file, input_names=['input'], output_names=names,
            dynamic_axes={n: {0: 'batch'} for n in ['input'] + names},
            opset_version=opset, dynamo=False)
    meta_file = None
    if require_simcc:
        meta_file = meta_path(out_file)
        meta = deploy_meta(model, cfg, checkpoint=checkpoint,
                           one_exp_mish=bool(one_exp_mish))
        with open(meta_file, 'w') as f:
            json.dump(meta, f, indent=1)
    ir_file = None
    if openvino_ir and one_exp_mish:
        # OpenVINO fuses the standard Softplus-Tanh-Mul Mish into its convolutions and not the
        # one-exp form (measured 0.92x), so its IR comes from a standard-Mish graph.
        with tempfile.TemporaryDirectory() as tmp:
            std_onnx = osp.join(tmp, 'standard_mish.onnx')
            with warnings.catch_warnings():
                warnings.filterwarnings('ignore', category=torch.jit.TracerWarning)
                torch.onnx.export(
                    RawForward(model, require_simcc).eval(), (dummy, ), std_onnx,
                    input_names=['input'], output_names=names,
                    dynamic_axes={n: {0: 'batch'} for n in ['input'] + names},
                    opset_version=opset, dynamo=False)
            ir_file = export_openvino(std_onnx, osp.splitext(out_file)[0] + '.xml')
    elif openvino_ir:
        ir_file = export_openvino(out_file)
    return dict(onnx=out_file, openvino=ir_file, meta=meta_file, input_size=(w, h), model=model,
                cfg=cfg)


def export_openvino(onnx_file: str, xml: Optional[str] = None) -> str:
    """Convert an ONNX file to OpenVINO IR (``xml`` + ``.bin``; default: beside the ONNX file).

    Weights stay fp32 (``compress_to_fp16=False``); the run-time precision is chosen when the
    model is compiled (``--precision``).
    """
    try:
        import openvino as ov
    except ImportError:
        raise ImportError('OpenVINO IR export needs openvino: pip install openvino') from None
    xml = xml or osp.splitext(onnx_file)[0] + '.xml'
    ov.save_model(ov.convert_model(onnx_file), xml, compress_to_fp16=False)
    return xml


def onnx_parity(onnx_file: str, model: nn.Module, inputs: torch.Tensor,
                backend: str = 'onnxruntime', precision: str = 'fp32') -> Dict[str, Any]:
    """Max absolute difference of the exported model's and PyTorch's SimCC logits on ``inputs``.

    Args:
        onnx_file (str): The exported ``.onnx`` (OpenVINO uses the ``.xml`` beside it if any).
        model (nn.Module): The PyTorch model it was exported from.
        inputs (torch.Tensor): Normalised images (N, 3, H, W).
        backend (str): ``'onnxruntime'`` or ``'openvino'``.
        precision (str): ``'fp32'`` or ``'bf16'``.

    Returns:
        dict: ``max_abs_diff_x``, ``max_abs_diff_y``, ``max_abs_logit`` (scale of the logits)
        and ``outputs`` (the runtime's ``(simcc_x, simcc_y)``).
    """
    session = InferenceSession(onnx_file, backend, precision)
    rt_x, rt_y = session(inputs.numpy())[:2]
    with torch.no_grad():
        pt_x, pt_y = RawForward(model).eval()(inputs)
    return dict(max_abs_diff_x=float(np.abs(rt_x - pt_x.numpy()).max()),
                max_abs_diff_y=float(np.abs(rt_y - pt_y.numpy()).max()),
                max_abs_logit=float(max(np.abs(pt_x.numpy()).max(), np.abs(pt_y.numpy()).max())),
                outputs=(rt_x, rt_y))

