"""Plot the paper's Figure 5: COCO AP against GFLOPs, marker area proportional to parameters.

Points: the paper's EBA-PRNetCC rows and baselines at their *reported* GFLOPs and params (hollow),
the same EBA rows at the GFLOPs/params *we measure* (filled, joined by an arrow), and MMPose
model-zoo models at our measured GFLOPs/params. AP is always reported (paper / zoo metafile).
FLOPs: MMEngine's counter, all layers, 1 MAC = 1 FLOP.

    python tools/analysis/plot_figure5.py --out docs/figure5.png [--complexity work_dirs/complexity.json]
"""
import argparse
import json
import os.path as osp
import sys

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for eba_tools
from eba_tools import REPO  # noqa: E402
from eba_tools.paper import (PAPER_BASELINES, PAPER_ROWS, ZOO_CONFIGS, paper_table,  # noqa: E402
                             zoo_metrics)


def measured_rows(complexity_json=None):
    """name -> (params M, GFLOPs) for the paper rows and zoo models, measured now or from JSON."""
    if complexity_json:
        with open(complexity_json) as f:
            rows = [r for r in json.load(f) if 'name' in r]
    else:
        import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin, for counting)
        rows = paper_table()
    return {r['name']: (r['params_M'], r['GFLOPs']) for r in rows}


def plot(measured, out):
    fig = Figure(figsize=(8, 5.5))
    ax = fig.subplots()
    size = 12.0  # marker area per M params

    for r in PAPER_ROWS:
        m_params, m_flops = measured[r['name']]
        ax.scatter(r['GFLOPs'], r['AP'], s=size * r['params_M'], facecolors='none',
                   edgecolors='tab:red', linewidths=1.5)
        ax.scatter(m_flops, r['AP'], s=size * m_params, color='tab:red', alpha=0.6)
        ax.annotate('', xy=(m_flops, r['AP']), xytext=(r['GFLOPs'], r['AP']),
                    arrowprops=dict(arrowstyle='->', color='tab:red', alpha=0.5))
        ax.annotate(r['name'].replace('EBA-PRNetCC ', 'EBA '), (m_flops, r['AP']),
                    textcoords='offset points', xytext=(8, -3), fontsize=7)
    for r in PAPER_BASELINES:
        ax.scatter(r['GFLOPs'], r['AP'], s=size * r['params_M'], facecolors='none',
                   edgecolors='tab:gray', linewidths=1.5)
        ax.annotate(r['name'], (r['GFLOPs'], r['AP']), textcoords='offset points',
                    xytext=(8, -3), fontsize=7, color='dimgray')
    for name, config in ZOO_CONFIGS.items():
        key = f'{name} (MMPose zoo)'
        ap = zoo_metrics(config).get('AP')
        if key not in measured or ap is None:
            continue
        params, flops = measured[key]
        ax.scatter(flops, ap, s=size * params, color='tab:blue', alpha=0.6)
        ax.annotate(name, (flops, ap), textcoords='offset points', xytext=(8, -3), fontsize=7,
                    color='tab:blue')
    def marker(label: str, **style) -> Line2D:
        return Line2D([], [], marker='o', linestyle='', markersize=14, label=label, **style)

    handles = [
        marker('EBA-PRNetCC, paper-reported GFLOPs/params', markerfacecolor='none',
               markeredgecolor='tab:red', markeredgewidth=1.5),
        marker('EBA-PRNetCC, measured GFLOPs/params (AP reported)', color='tab:red', alpha=0.6),
        marker('baselines as the paper reports them', markerfacecolor='none',
               markeredgecolor='tab:gray', markeredgewidth=1.5),
        marker('MMPose zoo, measured GFLOPs/params, zoo AP', color='tab:blue', alpha=0.6),
    ]
    ax.legend(handles=handles, fontsize=7, loc='upper right',
              bbox_to_anchor=(1.0, 0.72), labelspacing=1.2)
    ax.set_xlim(right=max(ax.get_xlim()[1], 24))
    ax.set_xlabel('GFLOPs (MMEngine counter, all layers; hollow: as reported)')
    ax.set_ylabel('COCO val2017 AP (reported)')
    ax.set_title('AP vs. computation; marker area ∝ parameters (cf. paper Fig. 5)')
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=130)
    print(f'wrote {out}')


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('--out', default=osp.join(REPO, 'docs', 'figure5.png'), help='PNG to write')
    p.add_argument('--complexity', help='JSON from get_flops.py --paper-table --json')
    args = p.parse_args(argv)
    plot(measured_rows(args.complexity), args.out)


if __name__ == '__main__':
    main()
