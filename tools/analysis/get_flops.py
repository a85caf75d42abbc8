"""Print parameters and FLOPs of MMPose configs, and the paper's rows beside what we measure.

Counted with MMEngine's complexity counter (as MMPose's own ``get_flops.py``; 1 MAC = 1 FLOP,
transposed convolutions at their true cost), on one image at the config's codec input size.

Examples::

    python tools/analysis/get_flops.py configs/eba_prnetcc/simcc_eba-res34-mlp_1xb16-140e_coco-384x288.py
    python tools/analysis/get_flops.py --paper-table [--json outputs/complexity.json]
"""
import argparse
import json
import os
import os.path as osp
import sys

from tqdm import tqdm

import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin)
from eba_prnetcc_mmpose.analysis import measure_complexity
from eba_prnetcc_mmpose.paper import PAPER_ROWS, ZOO_CONFIGS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def zoo_config_path(rel: str) -> str:
    import mmpose
    return osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', rel)


def paper_table() -> list:
    """Measure every paper row and the zoo models; return rows with reported and measured."""
    jobs = [(r['name'], osp.join(REPO, r['config']), r) for r in PAPER_ROWS]
    jobs += [(f'{name} (MMPose zoo)', zoo_config_path(rel), {}) for name, rel in ZOO_CONFIGS.items()]
    rows = []
    for name, config, reported in tqdm(jobs, desc='counting', file=sys.stdout):
        m = measure_complexity(config)
        rows.append(dict(name=name, config=osp.relpath(config, REPO) if config.startswith(REPO)
                         else 'mmpose::' + config.split('/configs/', 1)[1],
                         input='{}x{}'.format(m['input_size'][1], m['input_size'][0]),
                         params_M=m['params'] / 1e6, GFLOPs=m['flops'] / 1e9,
                         GFLOPs_no_deconv=m['flops_no_deconv'] / 1e9,
                         reported_params_M=reported.get('params_M'),
                         reported_GFLOPs=reported.get('GFLOPs')))
    return rows


def format_table(rows: list) -> str:
    """Markdown table of :func:`paper_table` rows."""
    head = ('| model | input (HxW) | params M (measured) | params M (reported) | diff | '
            'GFLOPs (measured, all layers) | GFLOPs (measured, no deconv) | GFLOPs (reported) |')
    lines = [head, '|' + '---|' * 8]
    for r in rows:
        rep_p = r['reported_params_M']
        diff = f"{100 * (r['params_M'] - rep_p) / rep_p:+.1f} %" if rep_p else ''
        lines.append(
            f"| {r['name']} | {r['input']} | {r['params_M']:.2f} | {rep_p or ''} | {diff} | "
            f"{r['GFLOPs']:.2f} | {r['GFLOPs_no_deconv']:.2f} | {r['reported_GFLOPs'] or ''} |")
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('configs', nargs='*', help='config files to count')
    parser.add_argument('--input-size', type=int, nargs=2, metavar=('W', 'H'),
                        help='input size; default: the config codec input_size')
    parser.add_argument('--paper-table', action='store_true',
                        help="count the paper's five rows and the MMPose zoo baselines")
    parser.add_argument('--json', help='also write the results to this JSON file')
    args = parser.parse_args()
    if not args.configs and not args.paper_table:
        parser.error('give config files and/or --paper-table')
    results = []
    for config in args.configs:
        if not osp.isfile(config):
            parser.error(f'config file not found: {config}')
        m = measure_complexity(config, args.input_size)
        w, h = m['input_size']
        print(f'{config}\n  input {h}x{w} (HxW)  params {m["params"] / 1e6:.2f} M  '
              f'FLOPs {m["flops"] / 1e9:.2f} G (all layers), '
              f'{m["flops_no_deconv"] / 1e9:.2f} G without transposed convs')
        results.append(dict(config=config, **m))
    if args.paper_table:
        rows = paper_table()
        print('\nMeasured with MMEngine\'s complexity counter (1 MAC = 1 FLOP), batch 1; '
              '"reported" = the paper\'s Tables 2-3.\n')
        print(format_table(rows))
        results.extend(rows)
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'\nwrote {args.json}')


if __name__ == '__main__':
    main()
