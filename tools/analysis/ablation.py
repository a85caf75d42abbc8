"""Seeded, paired ablation of EBA-PRNetCC against stock SimCC on a harder synthetic set.

    python tools/analysis/ablation.py --jobs 2           # the committed study (81 runs), report
    python tools/analysis/ablation.py --report-only       # rewrite the report from the JSON
    python tools/analysis/ablation.py --quick             # 1 variant, 1 seed, 1 epoch, tiny data

Trains the variants in configs/ablation/synthhard/ (a: stock SimCC ... d: EBA-PRNetCC, and the
single changes e, g, h from d; see docs/ablation.md) with each seed through MMEngine's Runner
under one budget, on a synthetic COCO-format set it generates into data/synthetic_coco_hard/
(2-6 overlapping people per image, occluders, limb-like clutter, a 3.6x range of heights),
validates them with MMPose's CocoMetric on ground-truth boxes, appends one record per run to
benchmarks/ablation_v2.json (runs already there are not trained again: rerun the same command
after an interruption), and writes docs/ablation.md, its figures and the README block between
<!-- ablation:start/end --> (paired differences per seed, t intervals, Holm's correction).
With --jobs 2 two runs train at a time, each in a child process on one thread
(OMP_NUM_THREADS=1). Without --seeds each variant trains its seeds in the committed study's
plan (7-17 seeds; docs/ablation.md, "How the study grew"); --seeds gives every variant the same
seeds (--seeds 0 1 2 3 4: the first stage, 35 runs, about 1 h 45 min). A benchmark, not a
test: the whole plan (81 runs) takes about 3.9 h on two quiet CPU cores; run it in the
background (nohup ... &) and follow its log.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for eba_tools
from eba_tools import REPO  # noqa: E402
from eba_tools.ablation_study import (CHAIN, DATA_ROOT, PLAN, QUICK_BUDGET,  # noqa: E402
                                      VARIANT_BY_KEY, Budget, load_results, run_one_child,
                                      run_study)


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line arguments (``None`` defaults are resolved by ``--quick``)."""
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('--variants', nargs='+', choices=sorted(VARIANT_BY_KEY),
                   help='variant keys (default: all; --quick: d)')
    p.add_argument('--seeds', type=int, nargs='+',
                   help='training seeds, the same for every variant (default: each variant\'s '
                        'seeds in the committed plan, ' + '; '.join(
                            f'{k} 0-{max(s)}' for k, s in PLAN.items()) + '; --quick: 0)')
    p.add_argument('--epochs', type=int, help=f'epochs per run (default: {Budget().epochs})')
    p.add_argument('--num-train', type=int,
                   help=f'synthetic training images (default: {Budget().num_train})')
    p.add_argument('--num-val', type=int,
                   help=f'synthetic validation images (default: {Budget().num_val})')
    p.add_argument('--val-interval', type=int,
                   help=f'CocoMetric every N epochs (default: {Budget().val_interval})')
    p.add_argument('--data-seed', type=int, help='seed of the synthetic set (default: 0)')
    p.add_argument('--quick', action='store_true',
                   help='smoke test: variant d, seed 0, 1 epoch, 8 + 4 images; writes under '
                        'work_dirs/ablation_quick/ unless --out/--doc are given')
    p.add_argument('--report-only', action='store_true',
                   help='no training: rewrite the doc, figures and README block from --out')
    p.add_argument('--out', help='study JSON (default: benchmarks/ablation_v2.json)')
    p.add_argument('--doc', help='markdown report; figures go beside it (default: '
                                 'docs/ablation.md)')
    p.add_argument('--readme', help="README whose ablation block to rewrite (default: README.md; "
                                    "--quick: none); '' for none")
    p.add_argument('--work-dir', help='runs go to WORK_DIR/<variant>_seed<seed> (default: '
                                      'work_dirs/ablation_v2)')
    p.add_argument('--data-root', help=f'synthetic dataset (default: {DATA_ROOT}; --quick: '
                                       'WORK_DIR/data)')
    p.add_argument('--jobs', type=int, default=1,
                   help='runs trained at the same time, each a child process on one thread '
                        '(default: 1, in this process)')
    p.add_argument('--threads', type=int, default=1, help='torch threads per run (default: 1)')
    p.add_argument('--workers', type=int, default=0,
                   help='data-loading worker processes per dataloader (default: 0)')
    # internal: one run in a child process (what --jobs N starts)
    p.add_argument('--run-one', nargs=2, metavar=('VARIANT', 'SEED'), help=argparse.SUPPRESS)
    p.add_argument('--tag', default='', help=argparse.SUPPRESS)
    p.add_argument('--record', help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    quick = args.quick
    work = args.work_dir or osp.join(REPO, 'work_dirs',
                                     'ablation_quick' if quick else 'ablation_v2')
    budget = QUICK_BUDGET if quick else Budget()
    args.budget = Budget(
        epochs=args.epochs or budget.epochs, num_train=args.num_train or budget.num_train,
        num_val=args.num_val or budget.num_val,
        val_interval=args.val_interval or budget.val_interval,
        data_seed=budget.data_seed if args.data_seed is None else args.data_seed)
    args.variants = args.variants or (['d'] if quick else list(CHAIN))
    if args.seeds is None:
        args.seeds = [0] if quick else {k: PLAN[k] for k in args.variants}
    args.work_dir = work
    args.data_root = args.data_root or (osp.join(work, 'data') if quick
                                        else osp.join(REPO, DATA_ROOT))
    args.out = args.out or (osp.join(work, 'ablation.json') if quick
                            else osp.join(REPO, 'benchmarks', 'ablation_v2.json'))
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
    """Run the study (or only the report, or one child run) and print where everything went."""
    args = parse_args(argv)
    os.environ.setdefault('OMP_NUM_THREADS', str(args.threads))
    import torch
    torch.set_num_threads(args.threads)
    if args.run_one:
        key, seed = args.run_one
        run_one_child(key, int(seed), args.budget, args.tag, args.record, args.work_dir,
                      args.data_root, REPO, args.workers)
        return 0
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
                            args.data_root, REPO, num_workers=args.workers, jobs=args.jobs)
    # imported here, after training: a long study reports with the report code of its end
    from eba_tools.ablation_report import write_report
    for path in write_report(results, **report):
        print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
