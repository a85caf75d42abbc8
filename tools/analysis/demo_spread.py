"""Run the demo job with several training seeds and report its AP and run-to-run spread.

    python tools/analysis/demo_spread.py --seeds 0 1 2 [--epochs N] [--out benchmarks/demo_spread.json]
        [--cfg-options KEY=VALUE ...]     # a variant of the recipe, e.g. another target pairing

Same synthetic data for every run (generated with seed 0); only the training seed changes.
A benchmark script, not a test: it takes (runs x ~4 min) on two CPU cores.
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction

import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin)

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for eba_tools
from eba_tools import DEMO_CONFIG, REPO  # noqa: E402
from eba_tools.demo_job import run_demo  # noqa: E402
from eba_tools.machine import machine_info  # noqa: E402
from eba_tools.stats import mean_std  # noqa: E402


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                   help='training seeds (one demo training each)')
    p.add_argument('--epochs', type=int, help="override the demo config's epochs")
    p.add_argument('--data-root', default=osp.join(REPO, 'data', 'synthetic_coco'),
                   help='synthetic data (generated there if absent)')
    p.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'demo_spread'),
                   help='one sub-folder per seed')
    p.add_argument('--out', default=osp.join(REPO, 'benchmarks', 'demo_spread.json'),
                   help='JSON with the per-seed metrics and their spread')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                   help='override settings of the demo config (MMEngine syntax, e.g. '
                        'model.head.loss.beta=1.0 train_dataloader.dataset.pipeline.5.encoder.'
                        'normalize=True) to measure a variant of the recipe')
    args = p.parse_args(argv)
    runs = []
    for seed in args.seeds:
        s = run_demo(DEMO_CONFIG, osp.join(args.work_dir, f'seed{seed}'), args.data_root,
                     args.epochs, num_vis=0, seed=seed, cfg_options=args.cfg_options or None)
        runs.append(dict(seed=seed, train_time_s=s['train_time_s'], epochs=s['epochs'],
                         **{k: s['metrics'][k] for k in ('coco/AP', 'coco/AP .5', 'coco/AR')},
                         baseline_AP=s['baseline']['coco/AP'],
                         keypoint_scores=s['keypoint_scores']))
        ks = s['keypoint_scores']
        print(f"seed {seed}: AP {runs[-1]['coco/AP']:.3f}  AP50 {runs[-1]['coco/AP .5']:.3f}  "
              f"AR {runs[-1]['coco/AR']:.3f}  keypoint scores {ks['median']:.2f} "
              f"[{ks['p5']:.2f}-{ks['p95']:.2f}]  ({s['train_time_s']:.0f} s)")
    aps = [r['coco/AP'] for r in runs]
    ap_mean, ap_std = mean_std(aps)
    summary = dict(config=osp.relpath(DEMO_CONFIG, REPO), cfg_options=dict(args.cfg_options),
                   machine=machine_info('cpu'),
                   runs=runs, AP_mean=ap_mean, AP_std=ap_std, AP_min=min(aps), AP_max=max(aps),
                   baseline_AP=runs[0]['baseline_AP'])
    print(f"AP {summary['AP_mean']:.3f} ± {summary['AP_std']:.3f} (std over {len(aps)} seeds, "
          f"min {summary['AP_min']:.3f}, max {summary['AP_max']:.3f}); mean-pose baseline "
          f"{summary['baseline_AP']:.3f}")
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(summary, f, indent=2)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
