"""Generate the seeded synthetic COCO person-keypoint dataset (the project's embedded default).

    python tools/generate_synthetic_coco.py [--out-dir data/synthetic_coco] [--num-train 200]
        [--num-val 50] [--size 256 256] [--seed 0] [--max-persons 3] [--force]

Skips generation when the folder already holds a complete set made with the same arguments.
"""
import argparse
import json
import time

from eba_prnetcc_mmpose.datasets import dataset_is_complete, generate_synthetic_coco


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out-dir', default='data/synthetic_coco')
    p.add_argument('--num-train', type=int, default=200)
    p.add_argument('--num-val', type=int, default=50)
    p.add_argument('--size', type=int, nargs=2, default=[256, 256], metavar=('W', 'H'))
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--max-persons', type=int, default=3)
    p.add_argument('--force', action='store_true', help='regenerate even if complete')
    args = p.parse_args()
    gen = dict(num_train=args.num_train, num_val=args.num_val, image_size=tuple(args.size),
               seed=args.seed, max_persons=args.max_persons)
    if not args.force and dataset_is_complete(args.out_dir, **gen):
        print(f'{args.out_dir} already holds this dataset (use --force to regenerate)')
        return
    start = time.perf_counter()
    paths = generate_synthetic_coco(args.out_dir, **gen)
    for split in ('train', 'val'):
        with open(paths[f'{split}_ann']) as f:
            n = len(json.load(f)['annotations'])
        print(f'{split}: {gen[f"num_{split}"]} images, {n} annotated persons')
    for key, value in paths.items():
        print(f'{key}: {value}')
    print(f'done in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()
