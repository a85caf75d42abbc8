"""Export a SimCC pose model to ONNX (dynamic batch) and OpenVINO IR; check it against PyTorch.

    python tools/deployment/export_onnx.py CONFIG [CHECKPOINT] --out work_dirs/deploy/model.onnx

Writes ``model.onnx``, ``model.json`` (what the predictor needs: input size, normalisation,
flip pairs, ...) and, unless ``--no-openvino``, ``model.xml`` + ``model.bin``. Then runs a random
batch through every written model (ONNX Runtime fp32, OpenVINO fp32, and OpenVINO bf16 where the
CPU has bf16) and prints the max abs difference of the SimCC logits against PyTorch. The models
take images normalised as MMPose's ``PoseDataPreprocessor`` does; the input size is the one the
built model takes. Run them with tools/deployment/predict.py.
"""
import argparse
import os.path as osp
import sys

import torch

import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin)
from eba_prnetcc_mmpose.deploy.onnx_export import export_onnx, onnx_parity
from eba_prnetcc_mmpose.deploy.runtime import cpu_bf16_support
from eba_prnetcc_mmpose.utils.model_build import resolve_config

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for eba_tools
from eba_tools.cli import run_tool  # noqa: E402


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
    return p


def main(args: argparse.Namespace) -> None:
    if args.batch < 1 or args.opset < 11:
        raise ValueError(f'--batch must be >= 1 and --opset >= 11, got {args.batch}, '
                         f'{args.opset}')
    res = export_onnx(resolve_config(args.config), args.out, args.checkpoint, args.opset,
                      openvino_ir=not args.no_openvino, one_exp_mish=not args.standard_mish)
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


if __name__ == '__main__':
    run_tool(main, build_parser())
