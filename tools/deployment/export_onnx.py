"""Export a SimCC pose model to ONNX (dynamic batch) and check it against PyTorch in ONNX Runtime.

    python tools/deployment/export_onnx.py CONFIG [CHECKPOINT] --out model.onnx [--batch 2]

Prints the max abs difference of the SimCC logits (ONNX Runtime vs PyTorch) on a random batch and
the keypoints decoded from the ONNX outputs with the config's codec. The ONNX model takes images
normalised as MMPose's ``PoseDataPreprocessor`` does and returns ``simcc_x``, ``simcc_y``.
"""
import argparse
import os.path as osp

import torch

import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin)
from eba_prnetcc_mmpose.deploy import decode_simcc, export_onnx, onnx_parity


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint', nargs='?', help='weights (random weights if omitted)')
    p.add_argument('--out', default='work_dirs/onnx/model.onnx')
    p.add_argument('--opset', type=int, default=17)
    p.add_argument('--batch', type=int, default=2, help='batch of the parity check')
    args = p.parse_args()
    if not osp.isfile(args.config):
        p.error(f'config file not found: {args.config}')
    if args.checkpoint and not osp.isfile(args.checkpoint):
        p.error(f'checkpoint not found: {args.checkpoint}')
    res = export_onnx(args.config, args.out, args.checkpoint, args.opset)
    w, h = res['input_size']
    parity = onnx_parity(args.out, res['model'], torch.randn(args.batch, 3, h, w))
    keypoints, scores = decode_simcc(*parity['outputs'], res['cfg'].codec)
    print(f'wrote {args.out} (input: N x 3 x {h} x {w}, dynamic N)')
    print(f"ONNX Runtime vs PyTorch, batch {args.batch}: max |diff| simcc_x "
          f"{parity['max_abs_diff_x']:.2e}, simcc_y {parity['max_abs_diff_y']:.2e}")
    print(f'decoded keypoints {keypoints.shape} (input pixels), scores {scores.shape}')


if __name__ == '__main__':
    main()
