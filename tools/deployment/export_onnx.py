"""Export a SimCC pose model to ONNX (dynamic batch) and OpenVINO IR; check it against PyTorch.

    python tools/deployment/export_onnx.py CONFIG [CHECKPOINT] --out work_dirs/deploy/model.onnx

Writes ``model.onnx``, ``model.json`` (what the predictor needs: input size, normalisation,
flip pairs, ...) and, unless ``--no-openvino``, ``model.xml`` + ``model.bin``. Then runs a random
batch through every written model (ONNX Runtime fp32, OpenVINO fp32, and OpenVINO bf16 where the
CPU has bf16) and prints the max abs difference of the SimCC logits against PyTorch. The models
take images normalised as MMPose's ``PoseDataPreprocessor`` does; the input size is the one the
built model takes. Run them with tools/deployment/predict.py.

``--int8`` also writes post-training int8 models: ``model.int8.xml`` (NNCF, OpenVINO) and
``model.int8.onnx`` (ONNX Runtime static QDQ), calibrated on ``--calib-num`` person crops of the
config's training set (or ``--calib-ann``/``--calib-img-dir``) made as the predictor makes them,
and records how in ``model.json``; their check runs on real crops (int8 is calibrated for
images, not noise) and reports how many keypoints' argmax bins move.

    python tools/deployment/export_onnx.py CONFIG CHECKPOINT --out work_dirs/deploy/model.onnx \
        --int8 --calib-num 300
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np
import torch

import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin)
from eba_prnetcc_mmpose.deploy.onnx_export import export_onnx, onnx_parity, training_set
from eba_prnetcc_mmpose.deploy.runtime import cpu_bf16_support, cpu_int8_support
from eba_prnetcc_mmpose.utils.model_build import resolve_config

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for eba_tools
from eba_tools.cli import run_tool  # noqa: E402
from eba_tools.scores import scale_from_config  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('config', help='model config (mmpose:: prefix allowed)')
    p.add_argument('checkpoint', nargs='?', default=None,
                   help='weights (.pth); random weights, with a warning, if omitted')
    p.add_argument('--out', default='work_dirs/deploy/model.onnx',
                   help='ONNX file to write; .json/.xml/.bin go beside it')
    p.add_argument('--opset', type=int, default=17, help='ONNX opset')
    p.add_argument('--batch', type=int, default=2, help='batch of the parity check')
    p.add_argument('--no-openvino', action='store_true', help='do not write OpenVINO IR')
    p.add_argument('--standard-mish', action='store_true',
                   help='write Mish in the ONNX file as Softplus-Tanh-Mul; by default it is '
                   'written as x*n/(n+2), n=e^x(e^x+2), which ONNX Runtime runs faster (the '
                   'OpenVINO IR always keeps the standard form, which OpenVINO fuses; see '
                   'docs/deploy.md)')
    q = p.add_argument_group('int8 (post-training quantisation)')
    q.add_argument('--int8', action='store_true',
                   help='also write model.int8.xml (NNCF) and model.int8.onnx (ONNX Runtime QDQ)')
    q.add_argument('--int8-backends', nargs='+', choices=['openvino', 'onnxruntime'],
                   default=['openvino', 'onnxruntime'], help='which int8 models to write')
    q.add_argument('--calib-num', type=int, default=300,
                   help='calibration crops (person boxes drawn at random, seed 0)')
    q.add_argument('--calib-ann', default=None,
                   help="COCO keypoint file to calibrate on (default: the config's training set)")
    q.add_argument('--calib-img-dir', default=None,
                   help="images of --calib-ann (default: the config's training images)")
    q.add_argument('--int8-preset', choices=['performance', 'mixed'], default='performance',
                   help='NNCF preset: performance = symmetric activations (every convolution '
                   'int8 in OpenVINO); mixed = asymmetric, whose zero points send '
                   "OpenVINO's deconvolutions back to f32 (docs/deploy.md)")
    q.add_argument('--quantize-head', action='store_true',
                   help='quantise the last Linear of each SimCC axis too (kept in fp32 by '
                   'default: see docs/deploy.md)')
    return p


def int8_check(res, crops: np.ndarray, backends) -> None:
    """Print, per int8 model, the logit difference from PyTorch and how many argmax bins move
    on real crops (``crops``: a few calibration crops)."""
    from eba_prnetcc_mmpose.deploy.runtime import InferenceSession
    from eba_prnetcc_mmpose.utils.model_build import RawForward
    with torch.no_grad():
        ref = [o.numpy() for o in RawForward(res['model']).eval()(torch.from_numpy(crops))]
    for backend in backends:
        out = InferenceSession(res['onnx'], backend, 'int8')(crops)[:2]
        moved = np.mean([(a.argmax(-1) != b.argmax(-1)).mean() for a, b in zip(out, ref)])
        diff = max(float(np.abs(a - b).max()) for a, b in zip(out, ref))
        print(f'{backend} int8 vs PyTorch, {len(crops)} calibration crops: max |diff| '
              f'{diff:.2e} (logits up to {max(np.abs(r).max() for r in ref):.2f}), argmax bin '
              f'changed for {moved:.1%} of keypoint axes')


def main(args: argparse.Namespace) -> None:
    if args.batch < 1 or args.opset < 11:
        raise ValueError(f'--batch must be >= 1 and --opset >= 11, got {args.batch}, '
                         f'{args.opset}')
    if args.int8:
        if args.calib_num < 1:
            raise ValueError(f'--calib-num must be >= 1, got {args.calib_num}')
        if 'openvino' in args.int8_backends and args.no_openvino:
            raise ValueError('--int8 for openvino needs the OpenVINO IR: drop --no-openvino or '
                             'pass --int8-backends onnxruntime')
        for path in (args.calib_ann, args.calib_img_dir):
            if path and not osp.exists(path):
                raise FileNotFoundError(f'calibration data not found: {path}')
    res = export_onnx(resolve_config(args.config), args.out, args.checkpoint, args.opset,
                      openvino_ir=not args.no_openvino, one_exp_mish=not args.standard_mish)
    scale, how = scale_from_config(res['cfg'])
    if scale is not None and res['meta']:  # the predictor's default --kpt-thr follows it
        with open(res['meta']) as f:
            meta = json.load(f)
        meta['score_scale'] = scale
        with open(res['meta'], 'w') as f:
            json.dump(meta, f, indent=1)
    print(f'keypoint score scale: {how}')
    w, h = res['input_size']
    print(f'wrote {res["onnx"]} (input: N x 3 x {h} x {w}, dynamic N), {res["meta"]}'
          + (f', {res["openvino"]}' if res['openvino'] else ''))
    inputs = torch.randn(args.batch, 3, h, w)
    checks = [('onnxruntime', 'fp32')]
    if res['openvino']:
        checks.append(('openvino', 'fp32'))
        if cpu_bf16_support():
            checks.append(('openvino', 'bf16'))
        else:
            print('OpenVINO bf16: not checked, this CPU has no native bf16')
    for backend, precision in checks:
        p = onnx_parity(res['onnx'], res['model'], inputs, backend, precision)
        print(f'{backend} {precision} vs PyTorch, batch {args.batch}: max |diff| simcc_x '
              f"{p['max_abs_diff_x']:.2e}, simcc_y {p['max_abs_diff_y']:.2e} "
              f"(logits up to {p['max_abs_logit']:.2f})")
    if args.int8:
        quantize_int8(args, res)


def quantize_int8(args: argparse.Namespace, res) -> None:
    """Calibrate on training crops, write the int8 models and their metadata, check them."""
    from eba_prnetcc_mmpose.deploy.predictor import load_meta
    from eba_prnetcc_mmpose.deploy.quantize import (calibration_crops, coco_calibration_samples,
                                                    quantize_export)
    ann, img_dir = training_set(res['cfg'])
    ann, img_dir = args.calib_ann or ann, args.calib_img_dir or img_dir
    if not osp.isfile(ann):
        raise FileNotFoundError(f'calibration annotations not found: {ann} (the config\'s '
                                f'training set; pass --calib-ann and --calib-img-dir)')
    crops = calibration_crops(coco_calibration_samples(ann, img_dir, args.calib_num),
                              load_meta(res['onnx']))
    print(f'int8: calibrating on {len(crops)} crops of {ann}')
    section = quantize_export(res['onnx'], crops, args.int8_backends,
                              keep_head_fp32=not args.quantize_head, preset=args.int8_preset,
                              calibration=dict(ann_file=ann, img_dir=img_dir, seed=0))
    for backend in args.int8_backends:
        kept = section[backend]['kept_fp32']
        print(f"wrote {osp.join(osp.dirname(res['onnx']), section[backend]['file'])} "
              f"({section[backend]['tool']}; kept in fp32: {', '.join(kept) or 'nothing'})")
    if cpu_int8_support():
        int8_check(res, crops[:32], args.int8_backends)
    else:
        print('int8: not checked, this CPU has no int8 dot-product instructions (VNNI/AMX)')


if __name__ == '__main__':
    run_tool(main, build_parser())
