"""Print parameters and FLOPs of MMPose configs, and the paper's rows beside what we measure.

Counted with MMEngine's complexity counter (as MMPose's own ``get_flops.py``; 1 MAC = 1 FLOP,
transposed convolutions at their true cost), on one image at the input size of the model that
the config builds (its head's ``input_size``, not the config's top-level ``codec``).

Examples::

    python tools/analysis/get_flops.py configs/eba_prnetcc/simcc_eba-res34-mlp_1xb16-140e_coco-384x288.py
    python tools/analysis/get_flops.py CONFIG --input-size 256 192   # H W, if the model allows
    python tools/analysis/get_flops.py --paper-table [--json outputs/complexity.json]
"""
import argparse
import json
import os
import os.path as osp
import sys

from tqdm import tqdm

import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin)
from eba_prnetcc_mmpose.analysis import count_model, measure_complexity
from eba_prnetcc_mmpose.paper import PAPER_ROWS, ZOO_CONFIGS
from eba_prnetcc_mmpose.cli import run_tool
from eba_prnetcc_mmpose.utils.model_build import (build_model, resolve_config,
                                                  short_config_name)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def paper_table() -> list:
    """Measure every paper row and the zoo models; return rows with reported and measured."""
    jobs = [(r['name'], osp.join(REPO, r['config']), r) for r in PAPER_ROWS]
    jobs += [(f'{name} (MMPose zoo)', resolve_config('mmpose::' + rel), {})
             for name, rel in ZOO_CONFIGS.items()]
    rows = []
    for name, config, reported in tqdm(jobs, desc='counting', file=sys.stdout):
        m = measure_complexity(config)
        rows.append(dict(name=name, config=short_config_name(config, REPO),
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('configs', nargs='*', help='config files to count')
    p.add_argument('--input-size', '--input-shape', type=int, nargs=2, metavar=('H', 'W'),
                   default=None,
                   help='count at this input size (height width, as MMPose\'s get_flops '
                   '--input-shape); default: the size the built model takes. SimCC heads with '
                   'Linear layers only take their own size')
    p.add_argument('--paper-table', action='store_true',
                   help="count the paper's five rows and the MMPose zoo baselines")
    p.add_argument('--json', default=None, help='also write the results to this JSON file')
    p.add_argument('--markdown', default=None,
                   help='with --paper-table: write the table to this markdown file')
    return p


def main(args: argparse.Namespace) -> None:
    if not args.configs and not args.paper_table:
        raise ValueError('give config files and/or --paper-table (see --help)')
    if args.markdown and not args.paper_table:
        raise ValueError('--markdown needs --paper-table')
    if args.input_size is not None and min(args.input_size) <= 0:
        raise ValueError(f'--input-size must be positive, got {args.input_size}')
    results = []
    for config in args.configs:
        model, _ = build_model(resolve_config(config))
        size = None if args.input_size is None else (args.input_size[1], args.input_size[0])
        m = count_model(model, size)
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
        if args.markdown:
            with open(args.markdown, 'w') as f:
                f.write('# Parameters and FLOPs (measured) beside the paper (reported)\n\n'
                        '<!-- generated by tools/analysis/get_flops.py --paper-table; do not edit '
                        '-->\n\nMMEngine\'s complexity counter (1 MAC = 1 FLOP), batch 1, random '
                        'weights, each model at its own input size. "reported" = the paper\'s '
                        'Tables 2-3. docs/paper_to_code.md explains the two FLOP columns.\n\n'
                        + format_table(rows) + '\n')
            print(f'wrote {args.markdown}')
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)
        print(f'\nwrote {args.json}')


if __name__ == '__main__':
    run_tool(main, build_parser())
