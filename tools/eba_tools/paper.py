"""Numbers *reported* by the paper and the MMPose model zoo: the one place they are typed in,
and the table that sets what we *measure* beside them.

``tools/analysis/get_flops.py --paper-table`` (docs/complexity.md), ``plot_figure5.py`` and the
benchmark read them from here.
"""
import glob
import os.path as osp
import sys
from typing import Dict, List

from . import REPO

#: EBA-PRNetCC rows, COCO val2017, paper Tables 1-4 (AP/AR in %, params in M, GFLOPs as stated).
#: The R34 256x256 AP is 74.1 in Table 2 and 74.3 in Table 4 (whose row repeats R18-384's
#: numbers); we keep Table 2's value and note the conflict.
PAPER_ROWS: List[Dict] = [
    dict(name='EBA-PRNetCC R18 MLP 384x288', depth=18, head='MLP', input='384x288',
         config='configs/eba_prnetcc/simcc_eba-res18-mlp_1xb16-140e_coco-384x288.py',
         AP=74.3, AP50=92.5, AP75=81.5, APM=71.5, APL=79.0, AR=77.2, params_M=19.0, GFLOPs=4.0),
    dict(name='EBA-PRNetCC R34 MLP 384x288', depth=34, head='MLP', input='384x288',
         config='configs/eba_prnetcc/simcc_eba-res34-mlp_1xb16-140e_coco-384x288.py',
         AP=76.9, AP50=93.5, AP75=83.6, APM=73.9, APL=81.6, AR=79.6, params_M=29.0, GFLOPs=8.1),
    dict(name='EBA-PRNetCC R34 SLP 384x288', depth=34, head='SLP', input='384x288',
         config='configs/eba_prnetcc/simcc_eba-res34-slp_1xb16-140e_coco-384x288.py',
         AP=76.3, AP50=93.5, AP75=82.6, APM=73.2, APL=80.9, AR=79.0, params_M=35.0, GFLOPs=8.2),
    dict(name='EBA-PRNetCC R18 MLP 256x256', depth=18, head='MLP', input='256x256',
         config='configs/eba_prnetcc/simcc_eba-res18-mlp_1xb16-140e_coco-256x256.py',
         AP=71.3, AP50=91.4, AP75=78.1, APM=68.2, APL=75.8, AR=74.5, params_M=17.0, GFLOPs=2.4),
    dict(name='EBA-PRNetCC R34 MLP 256x256', depth=34, head='MLP', input='256x256',
         config='configs/eba_prnetcc/simcc_eba-res34-mlp_1xb16-140e_coco-256x256.py',
         AP=74.1, AP50=92.5, AP75=81.5, APM=71.5, APL=79.0, AR=77.2, params_M=28.0, GFLOPs=4.8),
]

#: Baselines as the paper's Tables 1-2 report them (its "SimCC 384x288" row matches the
#: 256x192 model by parameter count, see docs/paper_to_code.md).
PAPER_BASELINES: List[Dict] = [
    dict(name='SimpleBaseline R50 (paper)', input='384x288', AP=71.5, params_M=34.0, GFLOPs=20.0),
    dict(name='TFPose R50 (paper)', input='384x288', AP=72.2, params_M=38.0, GFLOPs=20.4),
    dict(name='SimCC R50 (paper)', input='384x288', AP=73.4, params_M=36.8, GFLOPs=20.4),
]

#: MMPose model-zoo models we compare against. Their reported COCO val2017 AP/AR is read from the
#: installed mmpose's own metafiles by :func:`zoo_metrics`, not typed here.
ZOO_CONFIGS: Dict[str, str] = {
    'SimCC R50 256x192': 'body_2d_keypoint/simcc/coco/simcc_res50_8xb64-210e_coco-256x192.py',
    'SimCC R50 384x288': 'body_2d_keypoint/simcc/coco/simcc_res50_8xb32-140e_coco-384x288.py',
    'SimpleBaseline R50 256x192':
    'body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py',
    'SimpleBaseline R50 384x288':
    'body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-384x288.py',
    'RTMPose-m 256x192': 'body_2d_keypoint/rtmpose/coco/rtmpose-m_8xb256-420e_coco-256x192.py',
}


def zoo_metrics(config: str) -> Dict[str, float]:
    """COCO val2017 metrics (in %) that MMPose's model-zoo metafile reports for ``config``.

    Args:
        config (str): Config path relative to mmpose's ``configs/`` (``mmpose::`` prefix allowed).

    Returns:
        dict: e.g. ``{'AP': 72.1, 'AR': 78.1}``; empty if the metafile has no entry.
    """
    import mmpose
    import yaml

    config = config.replace('mmpose::', '')
    root = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs')
    for metafile in glob.glob(osp.join(root, osp.dirname(config), '*.yml')):
        with open(metafile) as f:
            for model in (yaml.safe_load(f) or {}).get('Models', []):
                if model.get('Config', '').endswith(config):
                    for result in model.get('Results', []):
                        metrics = result.get('Metrics', {})
                        return {k: round(100 * v, 1) for k, v in metrics.items()
                                if isinstance(v, (int, float))}
    return {}


def paper_table() -> List[Dict]:
    """Measure every paper row and the zoo models (MMEngine's counter, random weights); each
    row holds the measured and, for the paper's rows, the reported params and GFLOPs."""
    from tqdm import tqdm

    from eba_prnetcc_mmpose.utils.model_build import resolve_config, short_config_name

    from .complexity import measure_complexity
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


def paper_table_markdown(rows: List[Dict]) -> str:
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
