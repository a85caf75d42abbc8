"""Check an MMPose config against its data (or one COCO keypoint file) before training.

    python tools/check_dataset.py CONFIG [--no-decode] [--no-build] [--cfg-options KEY=VALUE ...]
    python tools/check_dataset.py --ann-file ANN.json --img-dir IMAGES/ [--bbox-file DETS.json]

With a CONFIG: its custom_imports and registered types, that the codec, head and pipelines
agree on the input size, that the backbone's feature map fits the head, that each dataset's
metainfo is complete (names, flip pairs, sigmas) and matches the head's out_channels, that
pretrained weights fit the backbone (a local file's tensors, a URL's name), and that the
annotation files, images and box files exist and have that many keypoints. Data files are
untrusted: every ann_file and bbox_file must be .json (MMPose reads .yaml/.yml and .pkl/.pickle
with loaders that run code from the file), and an image whose file_name is absolute or leads out
of the image folder is refused without being read. Prints one line per problem and exits 1 if
there is any. Warnings (exit 0) for a schedule that does not fit this dataset: a warm-up over
more than a few epochs of it, val_interval or LR milestones past max_epochs (often inherited
from a stock config).
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin)

sys.path.append(osp.dirname(osp.abspath(__file__)))  # tools/, for eba_tools
from eba_tools.checked_tools import ToolError, check_file_arguments, load_config  # noqa: E402
from eba_tools.coco_check import DatasetCheckError, check_coco_keypoints  # noqa: E402
from eba_tools.config_check import check_config_against_data  # noqa: E402
from eba_tools.inherited_check import count_train_samples, schedule_findings  # noqa: E402

PROG = 'tools/check_dataset.py'


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('config', nargs='?', default=None,
                   help='MMPose config to check with all its datasets')
    p.add_argument('--ann-file', default=None,
                   help='check this COCO keypoint annotation file instead of a config')
    p.add_argument('--img-dir', default=None,
                   help="folder the --ann-file images' file_name are relative to")
    p.add_argument('--bbox-file', default=None,
                   help='MMPose detection-box JSON (a .json file; .yaml or .pkl is refused: '
                        'MMPose would read it with a loader that runs code) to check with '
                        '--ann-file')
    p.add_argument('--no-decode', action='store_true',
                   help='only check that images exist (faster than decoding each one)')
    p.add_argument('--no-build', action='store_true',
                   help="skip building the backbone to measure its feature map and channels")
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                   help='override config settings, e.g. model.head.out_channels=5')
    args = p.parse_args(argv)
    if args.config and args.ann_file:
        p.error('give a CONFIG or --ann-file, not both')
    if not args.config and not (args.ann_file and args.img_dir):
        p.error('give a CONFIG, or --ann-file and --img-dir')
    return args


def _train_samples(cfg):
    """:func:`count_train_samples`, or None for a file it cannot count (nested too deeply to
    parse, values of the wrong type): the data check below names the problem."""
    try:
        return count_train_samples(cfg)
    except (RecursionError, TypeError, AttributeError):
        return None


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        if args.config:
            check_file_arguments(args, ['config'])
            cfg = load_config(args)
            for finding in schedule_findings(cfg, _train_samples(cfg)):
                print(f'warning: {finding.text}', file=sys.stderr)
            reports = check_config_against_data(cfg, not args.no_decode,
                                                build_backbone=not args.no_build)
        else:
            reports = {args.ann_file: check_coco_keypoints(args.ann_file, args.img_dir,
                                                           args.bbox_file, not args.no_decode)}
    except ToolError as e:
        print(f'{PROG}: error: {e}', file=sys.stderr)
        sys.exit(2)
    except DatasetCheckError as e:
        print(f'dataset check FAILED: {e}', file=sys.stderr)
        sys.exit(1)
    for name, r in reports.items():
        print(f"OK {name}: {r['images']} images, {r['annotations']} annotations, "
              f"{r['keypoints']} keypoints")
    if args.config:
        print(f'OK {args.config}: custom_imports, types, input sizes, feature map, pretrained '
              f'weights and metainfo agree with the data')


if __name__ == '__main__':
    main()
