"""Post-training int8 quantisation of an exported model: NNCF for OpenVINO, static QDQ for ONNX
Runtime, both calibrated on person crops made exactly as the predictor makes them.

``quantize_export`` takes the fp32 export (``model.onnx`` + ``model.json`` [+ ``model.xml``])
and writes, beside it, ``model.int8.xml``/``.bin`` (OpenVINO IR with FakeQuantize nodes, from
``nncf.quantize``) and ``model.int8.onnx`` (QuantizeLinear/DequantizeLinear pairs, from
``onnxruntime.quantization.quantize_static``), and records how they were made in the metadata
JSON (section ``int8``). :class:`~.runtime.InferenceSession` runs them with ``precision='int8'``.

Calibration data: :func:`coco_calibration_samples` picks person boxes from a COCO-format
keypoint file (training images, never the evaluation set) and :func:`calibration_crops` turns
them into normalised crops with :func:`~.predictor.preprocess_crops`, the predictor's own crop
and normalisation, so the quantiser sees the activations the deployed model will see.

What stays in floating point (``keep_fp32``): by default the last Linear of each SimCC axis
(:func:`head_output_layers`): the logits it writes are decoded by an argmax over bins, and
quantising it moves many more keypoints off their fp32 bins in ONNX Runtime (46 % instead of
17 % by more than 1 px on the demo model; docs/deploy.md). Needs ``nncf`` (OpenVINO) or
``onnxruntime`` (ONNX Runtime); no torch.
"""
import json
import os
import os.path as osp
import tempfile
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .predictor import load_meta, meta_path, preprocess_crops
from .runtime import INT8_SUFFIX

#: ONNX ops quantised for ONNX Runtime: the MAC-heavy ones and those that pass int8 through.
#: Element-wise ops (Mish's Exp/Mul/Add/Div, the residual Add) stay fp32 between Q/DQ pairs.
ORT_OP_TYPES = ('Conv', 'ConvTranspose', 'MatMul', 'Gemm', 'Relu', 'MaxPool',
                'GlobalAveragePool')
#: Ops walked through from an output back to the layer that computes it.
_PASS_THROUGH = ('Add', 'Reshape', 'Identity', 'Transpose', 'Squeeze', 'Unsqueeze', 'Convert',
                 'Flatten')


def coco_calibration_samples(ann_file: str, img_dir: str, num: int = 300,
                             seed: int = 0) -> List[Tuple[str, np.ndarray]]:
    """``num`` person boxes (annotated keypoints > 0) drawn at random from a COCO keypoint
    file, grouped as ``(image path, boxes (M, 4) x1 y1 x2 y2)``."""
    with open(ann_file) as f:
        coco = json.load(f)
    files = {img['id']: img['file_name'] for img in coco['images']}
    anns = [a for a in coco['annotations']
            if a.get('num_keypoints', 1) > 0 and a['bbox'][2] > 1 and a['bbox'][3] > 1
            and not a.get('iscrowd', 0)]
    if not anns:
        raise ValueError(f'{ann_file}: no person boxes with keypoints to calibrate on')
    pick = np.random.default_rng(seed).permutation(len(anns))[:num]
    by_image: Dict[int, List] = {}
    for i in sorted(pick):
        x, y, w, h = anns[i]['bbox']
        by_image.setdefault(anns[i]['image_id'], []).append([x, y, x + w, y + h])
    return [(osp.join(img_dir, files[i]), np.asarray(b, np.float32))
            for i, b in sorted(by_image.items())]


def calibration_crops(samples: Iterable[Tuple[Any, np.ndarray]],
                      meta: Dict[str, Any]) -> np.ndarray:
    """Normalised crops (N, 3, H, W) of ``(image or image path, boxes)`` pairs, made by the
    predictor's :func:`~.predictor.preprocess_crops`."""
    import cv2
    crops = []
    for image, boxes in samples:
        if isinstance(image, str):
            path, image = image, cv2.imread(image, cv2.IMREAD_COLOR)
            if image is None:
                raise FileNotFoundError(f'cannot read calibration image {path}')
        crops.append(preprocess_crops(image, np.asarray(boxes, np.float32).reshape(-1, 4),
                                      meta)[0])
    if not crops:
        raise ValueError('no calibration crops')
    return np.concatenate(crops)


def _walk_to_layer(node, op_type, inputs, is_const) -> Optional[Any]:
    """From ``node``, follow the first non-constant input through pass-through ops to the
    first MatMul/Gemm/Conv; None if another op comes first."""
    for _ in range(16):
        if node is None:
            return None
        kind = op_type(node)
        if kind in ('MatMul', 'Gemm', 'Conv', 'Convolution'):
            return node
        if kind not in _PASS_THROUGH:
            return None
        node = next((n for n in inputs(node) if n is not None and not is_const(n)), None)
    return None


def head_output_layers(model_path: str) -> List[str]:
    """Names of the layers that compute the model's outputs (the last Linear of each SimCC
    axis), in an ONNX file (node names) or an OpenVINO IR / ``ov.Model`` (friendly names)."""
    if isinstance(model_path, str) and model_path.endswith('.onnx'):
        import onnx
        graph = onnx.load(model_path, load_external_data=False).graph
        producer = {o: n for n in graph.node for o in n.output}
        consts = {i.name for i in graph.initializer}

        def inputs(n):
            return [producer.get(i) if i not in consts else 'const' for i in n.input]

        found = [_walk_to_layer(producer.get(o.name), lambda n: n.op_type, inputs,
                                lambda n: n == 'const' or n.op_type == 'Constant')
                 for o in graph.output]
        return [n.name for n in found if n is not None]
    import openvino as ov
    model = ov.Core().read_model(model_path) if isinstance(model_path, str) else model_path
    found = [_walk_to_layer(r.input_value(0).get_node(), lambda n: n.get_type_name(),
                            lambda n: [v.get_node() for v in n.input_values()],
                            lambda n: n.get_type_name() == 'Constant')
             for r in model.get_results()]
    return [n.get_friendly_name() for n in found if n is not None]


def quantize_openvino(model_path: str, crops: np.ndarray, out_xml: str,
                      keep_fp32: Sequence[str] = (), preset: str = 'performance',
                      fast_bias_correction: bool = True) -> Dict[str, Any]:
    """NNCF post-training quantisation of an OpenVINO model (``.xml`` or ``.onnx``).

    Args:
        model_path (str): The fp32 model.
        crops (np.ndarray): Calibration crops (N, 3, H, W); each is one calibration sample.
        out_xml (str): Where to write the int8 IR (``.bin`` beside it).
        keep_fp32 (Sequence[str]): Layer (friendly) names left in floating point.
        preset (str): ``'performance'`` (symmetric activations, the default) or ``'mixed'``
            (asymmetric). Mish outputs dip below 0, so asymmetric activations get zero points,
            and OpenVINO's CPU plugin then runs the deconvolutions in f32 (measured: the int8
            EBA-R34-384 no faster than bf16); symmetric ones run every convolution in int8 at
            the same accuracy (docs/deploy.md).
        fast_bias_correction (bool): NNCF's fast bias correction. Defaults to True.

    Returns:
        dict: What was done (tool versions, preset, samples, layers kept in fp32).
    """
    import nncf
    import openvino as ov
    model = ov.Core().read_model(model_path)
    dataset = nncf.Dataset([c[None] for c in np.asarray(crops, np.float32)])
    quantized = nncf.quantize(
        model, dataset, preset=getattr(nncf.QuantizationPreset, preset.upper()),
        subset_size=len(crops), fast_bias_correction=fast_bias_correction,
        ignored_scope=nncf.IgnoredScope(names=list(keep_fp32)) if keep_fp32 else None)
    os.makedirs(osp.dirname(osp.abspath(out_xml)), exist_ok=True)
    ov.save_model(quantized, out_xml, compress_to_fp16=False)
    n_fq = sum(op.get_type_name() == 'FakeQuantize' for op in quantized.get_ops())
    return dict(file=osp.basename(out_xml), tool=f'nncf {nncf.__version__}, openvino '
                f'{ov.__version__}', preset=preset, fast_bias_correction=fast_bias_correction,
                samples=int(len(crops)), fake_quantize_nodes=int(n_fq), kept_fp32=list(keep_fp32))


def quantize_onnxruntime(onnx_path: str, crops: np.ndarray, out_onnx: str,
                         keep_fp32: Sequence[str] = (),
                         op_types: Sequence[str] = ORT_OP_TYPES,
                         calibrate_method: str = 'MinMax') -> Dict[str, Any]:
    """ONNX Runtime static quantisation (QDQ format, u8 activations / s8 per-channel weights,
    the x86 VNNI layout) of an ONNX file, after ORT's quantisation pre-processing.

    Args:
        onnx_path (str): The fp32 ONNX model.
        crops (np.ndarray): Calibration crops (N, 3, H, W).
        out_onnx (str): Where to write the QDQ model.
        keep_fp32 (Sequence[str]): ONNX node names left in floating point.
        op_types (Sequence[str]): Op types to quantise (default :data:`ORT_OP_TYPES`).
        calibrate_method (str): ``MinMax``, ``Entropy`` or ``Percentile``.

    Returns:
        dict: What was done.
    """
    import onnxruntime as ort
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod,
                                          QuantFormat, QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    name = ort.InferenceSession(onnx_path, providers=['CPUExecutionProvider']).get_inputs()[0]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self._it = iter(np.asarray(crops, np.float32))

        def get_next(self):
            crop = next(self._it, None)
            return None if crop is None else {name.name: crop[None]}

    os.makedirs(osp.dirname(osp.abspath(out_onnx)), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pre = osp.join(tmp, 'pre.onnx')
        quant_pre_process(onnx_path, pre, skip_symbolic_shape=True)
        quantize_static(pre, out_onnx, Reader(), quant_format=QuantFormat.QDQ,
                        op_types_to_quantize=list(op_types), per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        nodes_to_exclude=list(keep_fp32),
                        calibrate_method=getattr(CalibrationMethod, calibrate_method),
                        calibration_providers=['CPUExecutionProvider'],
                        # (the calibration keeps only per-tensor min/max per sample; ORT
                        # 1.32's CalibMaxIntermediateOutputs drops every full chunk unused)
                        extra_options=dict(ActivationSymmetric=False, WeightSymmetric=True))
    return dict(file=osp.basename(out_onnx), tool=f'onnxruntime {ort.__version__}',
                format='QDQ, u8 activations (asymmetric), s8 weights per channel',
                calibrate_method=calibrate_method, samples=int(len(crops)),
                op_types=list(op_types), kept_fp32=list(keep_fp32))


def int8_paths(model_path: str) -> Dict[str, str]:
    """``{'openvino': STEM.int8.xml, 'onnxruntime': STEM.int8.onnx}`` for an fp32 export."""
    stem = osp.splitext(model_path)[0]
    return dict(openvino=stem + INT8_SUFFIX + '.xml', onnxruntime=stem + INT8_SUFFIX + '.onnx')


def quantize_export(model_path: str, crops: np.ndarray,
                    backends: Sequence[str] = ('openvino', 'onnxruntime'),
                    keep_head_fp32: bool = True, preset: str = 'performance',
                    calibration: Optional[Dict[str, Any]] = None,
                    write_meta: bool = True) -> Dict[str, Any]:
    """Quantise an fp32 export for ``backends`` and record it in its metadata JSON.

    Args:
        model_path (str): The exported ``.onnx`` (OpenVINO quantises the ``.xml`` beside it when
            there is one, so its standard-Mish graph is kept).
        crops (np.ndarray): Calibration crops from :func:`calibration_crops`.
        backends (Sequence[str]): ``'openvino'`` and/or ``'onnxruntime'``.
        keep_head_fp32 (bool): Leave the last Linear of each SimCC axis in floating point.
        preset (str): NNCF preset (``'performance'`` or ``'mixed'``).
        calibration (dict, optional): Where the crops came from, recorded in the metadata.
        write_meta (bool): Add the ``int8`` section to ``model.json``. Defaults to True.

    Returns:
        dict: The ``int8`` metadata section (per backend: file, tool, settings).
    """
    paths = int8_paths(model_path)
    section: Dict[str, Any] = dict(calibration=dict(calibration or {}, crops=int(len(crops))))
    for backend in backends:
        if backend == 'openvino':
            src = osp.splitext(model_path)[0] + '.xml'
            src = src if osp.isfile(src) else model_path
            keep = head_output_layers(src) if keep_head_fp32 else []
            section['openvino'] = quantize_openvino(src, crops, paths['openvino'], keep, preset)
        elif backend == 'onnxruntime':
            keep = head_output_layers(model_path) if keep_head_fp32 else []
            section['onnxruntime'] = quantize_onnxruntime(model_path, crops,
                                                          paths['onnxruntime'], keep)
        else:
            raise ValueError(f'unknown backend {backend!r} for int8')
    if write_meta and osp.isfile(meta_path(model_path)):
        meta = load_meta(model_path)
        meta['int8'] = section
        with open(meta_path(model_path), 'w') as f:
            json.dump(meta, f, indent=1)
    return section
