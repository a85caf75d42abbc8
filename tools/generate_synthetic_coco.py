"""Generate a seeded synthetic COCO-format keypoint set: persons (17 COCO keypoints, the
project's embedded default) or squares (5 keypoints, the custom-dataset example).

    python tools/generate_synthetic_coco.py [--kind person] [--out-dir data/synthetic_coco]
        [--num-train 200] [--num-val 50] [--size 256 256] [--seed 0] [--max-instances 3]
    python tools/generate_synthetic_coco.py --kind squares     # data/synthetic_squares, 96x96

Skips generation when the folder already holds a complete set made with the same arguments.
"""
import argparse
import json
import os.path as osp
import sys
import time

sys.path.append(osp.dirname(osp.abspath(__file__)))  # tools/, for eba_tools
from eba_tools.synthetic_coco import dataset_is_complete, generate_synthetic_coco  # noqa: E402
from eba_tools.synthetic_squares import (generate_synthetic_squares,  # noqa: E402
                                         squares_dataset_is_complete)

#: per kind: generator, completeness check, name of its instance-count argument, defaults
KINDS = {
    'person': (generate_synthetic_coco, dataset_is_complete, 'max_persons',
               dict(out_dir='data/synthetic_coco', num_train=200, num_val=50, size=(256, 256),
                    max_instances=3)),
    'squares': (generate_synthetic_squares, squares_dataset_is_complete, 'max_squares',
                dict(out_dir='data/synthetic_squares', num_train=40, num_val=12, size=(96, 96),
                     max_instances=2)),
}
PROG = 'tools/generate_synthetic_coco.py'


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--kind', choices=sorted(KINDS), default='person',
                   help='person: 17 COCO keypoints; squares: 4 corners + centre')
    p.add_argument('--out-dir', help='output folder (default: data/synthetic_coco for person, '
                                     'data/synthetic_squares for squares)')
    p.add_argument('--num-train', type=int, help='training images (default: 200 / 40)')
    p.add_argument('--num-val', type=int, help='validation images (default: 50 / 12)')
    p.add_argument('--size', type=int, nargs=2, metavar=('W', 'H'),
                   help='image size (default: 256 256 / 96 96)')
    p.add_argument('--seed', type=int, default=0, help='random seed')
    p.add_argument('--max-instances', '--max-persons', type=int, dest='max_instances',
                   help='most persons / squares per image (default: 3 / 2)')
    p.add_argument('--force', action='store_true', help='regenerate even if complete')
    args = p.parse_args(argv)
    for key, value in KINDS[args.kind][3].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    for name in ('num_train', 'num_val', 'max_instances'):
        if getattr(args, name) < (0 if name == 'num_val' else 1):
            p.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    if min(args.size) < 16:
        p.error(f'--size must be at least 16 x 16, got {args.size[0]} x {args.size[1]}')
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    generate, is_complete, count_arg, _ = KINDS[args.kind]
    gen = dict(num_train=args.num_train, num_val=args.num_val, image_size=tuple(args.size),
               seed=args.seed, **{count_arg: args.max_instances})
    if not args.force and is_complete(args.out_dir, **gen):
        print(f'{args.out_dir} already holds this dataset (use --force to regenerate)')
        return
    start = time.perf_counter()
    try:
        paths = generate(args.out_dir, **gen)
    except OSError as e:
        print(f'{PROG}: error: cannot write {args.out_dir}: {e}', file=sys.stderr)
        sys.exit(2)
    for split in ('train', 'val'):
        with open(paths[f'{split}_ann']) as f:
            n = len(json.load(f)['annotations'])
        print(f'{split}: {gen[f"num_{split}"]} images, {n} annotated instances')
    for key, value in paths.items():
        print(f'{key}: {value}')
    print(f'done in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
