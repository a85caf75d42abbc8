"""Seeded ablation of EBA-PRNetCC against stock SimCC on the embedded synthetic data.

    python tools/analysis/ablation.py                     # 6 variants x 3 seeds, then the report
    python tools/analysis/ablation.py --report-only       # rewrite the report from the JSON
    python tools/analysis/ablation.py --quick             # 1 variant, 1 seed, 1 epoch, tiny data

Trains the variants in configs/ablation/ (a: stock SimCC ... d: EBA-PRNetCC, see
docs/ablation.md) with each seed through MMEngine's Runner under one budget, validates them with
MMPose's CocoMetric every few epochs, appends one record per run to benchmarks/ablation.json
(runs already there are not repeated), and writes docs/ablation.md, docs/ablation_ap.png,
docs/ablation_ap_epoch.png and the README block between <!-- ablation:start/end -->.
A benchmark, not a test: the full study takes about an hour on two CPU cores.
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for eba_tools
from eba_tools import REPO  # noqa: E402
from eba_tools.ablation_report import write_report  # noqa: E402
from eba_tools.ablation_study import (QUICK_BUDGET, VARIANT_BY_KEY, Budget,  # noqa: E402
                                      load_results, run_study)


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line arguments (``None`` defaults are resolved by ``--quick``)."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('--variants', nargs='+', choices=sorted(VARIANT_BY_KEY),
                   help='variant keys (default: all; --quick: d)')
    p.add_argument('--seeds', type=int, nargs='+', help='training seeds (default: 0 1 2)')
    p.add_argument('--epochs', type=int, help='epochs per run (default: 30, the demo\'s)')
    p.add_argument('--num-train', type=int, help='synthetic training images (default: 200)')
    p.add_argument('--num-val', type=int, help='synthetic validation images (default: 50)')
    p.add_argument('--val-interval', type=int, help='CocoMetric every N epochs (default: 5)')
    p.add_argument('--quick', action='store_true',
                   help='smoke test: variant d, seed 0, 1 epoch, 8 + 4 images; writes under '
                        'work_dirs/ablation_quick/ unless --out/--doc are given')
    p.add_argument('--report-only', action='store_true',
                   help='no training: rewrite the doc, figures and README block from --out')
    p.add_argument('--out', help='study JSON (default: benchmarks/ablation.json)')
    p.add_argument('--doc', help='markdown report; figures go beside it (default: '
                                 'docs/ablation.md)')
    p.add_argument('--readme', help="README whose ablation block to rewrite (default: README.md; "
                                    "--quick: none); '' for none")
    p.add_argument('--work-dir', help='runs go to WORK_DIR/<variant>_seed<seed> (default: '
                                      'work_dirs/ablation)')
    p.add_argument('--data-root', help='synthetic dataset (default: WORK_DIR/data)')
    p.add_argument('--threads', type=int, default=2, help='torch threads (default: 2)')
    p.add_argument('--workers', type=int, default=1,
                   help='data-loading worker processes per dataloader (default: 1)')
    args = p.parse_args(argv)
    quick = args.quick
    work = args.work_dir or osp.join(REPO, 'work_dirs', 'ablation_quick' if quick else 'ablation')
    budget = QUICK_BUDGET if quick else Budget()
    args.budget = Budget(
        epochs=args.epochs or budget.epochs, num_train=args.num_train or budget.num_train,
        num_val=args.num_val or budget.num_val,
        val_interval=args.val_interval or budget.val_interval, data_seed=budget.data_seed)
    args.variants = args.variants or (['d'] if quick else sorted(VARIANT_BY_KEY))
    args.seeds = args.seeds if args.seeds is not None else ([0] if quick else [0, 1, 2])
    args.work_dir = work
    args.data_root = args.data_root or osp.join(work, 'data')
    args.out = args.out or (osp.join(work, 'ablation.json') if quick
                            else osp.join(REPO, 'benchmarks', 'ablation.json'))
    args.doc = args.doc or (osp.join(work, 'ablation.md') if quick
                            else osp.join(REPO, 'docs', 'ablation.md'))
    if args.readme is None:
        args.readme = None if quick else osp.join(REPO, 'README.md')
    return args


def _shown(path: str) -> str:
    """``path`` relative to the repository when inside it (for the generated text)."""
    rel = osp.relpath(osp.abspath(path), REPO)
    return path if rel.startswith('..') else rel


def main(argv=None) -> int:
    """Run the study (or only the report) and print where everything went."""
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    command = 'python tools/analysis/ablation.py' + (' --quick' if args.quick else '')
    report = dict(doc=args.doc, readme=args.readme or None, json_path=args.out,
                  json_shown=_shown(args.out), command=command)
    if args.report_only:
        results = load_results(args.out)
        if not results['runs']:
            print(f'{args.out} holds no runs; nothing to report', file=sys.stderr)
            return 1
    else:
        results = run_study(args.variants, args.seeds, args.budget, args.out, args.work_dir,
                            args.data_root, REPO, num_workers=args.workers)
    for path in write_report(results, **report):
        print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
