"""Check the datasets of an MMPose config (or one COCO keypoint file) before training.

    python tools/check_dataset.py CONFIG [--no-decode]
    python tools/check_dataset.py --ann-file ANN.json --img-dir IMAGES/ [--bbox-file DETS.json]

Names every missing file, missing key and undecodable image; exits 1 if there is any.
"""
import argparse
import sys

from mmengine.config import Config

import eba_prnetcc_mmpose  # noqa: F401
from eba_prnetcc_mmpose.datasets.check import (DatasetCheckError, check_coco_keypoints,
                                               check_config_datasets)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config', nargs='?')
    p.add_argument('--ann-file')
    p.add_argument('--img-dir')
    p.add_argument('--bbox-file')
    p.add_argument('--no-decode', action='store_true', help='only check that images exist')
    args = p.parse_args()
    try:
        if args.config:
            reports = check_config_datasets(Config.fromfile(args.config), not args.no_decode)
        elif args.ann_file and args.img_dir:
            reports = {args.ann_file: check_coco_keypoints(args.ann_file, args.img_dir,
                                                           args.bbox_file, not args.no_decode)}
        else:
            p.error('give a CONFIG, or --ann-file and --img-dir')
    except DatasetCheckError as e:
        print(f'dataset check FAILED: {e}', file=sys.stderr)
        sys.exit(1)
    for name, r in reports.items():
        print(f"OK {name}: {r['images']} images, {r['annotations']} annotations, "
              f"{r['keypoints']} keypoints")


if __name__ == '__main__':
    main()
