"""Parameter and FLOP counts of the paper's rows against the paper's reported numbers."""
import math
import os.path as osp

import pytest

from eba_prnetcc_mmpose.analysis import measure_complexity
from eba_prnetcc_mmpose.paper import PAPER_ROWS, ZOO_CONFIGS, zoo_metrics

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.parametrize('row', PAPER_ROWS, ids=lambda r: r['name'])
def test_paper_rows_params_and_flops(row):
    m = measure_complexity(osp.join(ROOT, row['config']))
    params_m = m['params'] / 1e6
    if row['name'] == 'EBA-PRNetCC R18 MLP 256x256':
        # 17.87 M against a reported "17": the paper truncates parameter counts to whole
        # millions (19.39 -> 19.0, 29.61 -> 29, 35.01 -> 35, 28.08 -> 28, 17.87 -> 17), which
        # puts this row 5.1 % from the literal number; see docs/paper_to_code.md.
        assert math.floor(params_m) == row['params_M']
        assert abs(params_m - row['params_M']) / row['params_M'] < 0.06
    else:
        assert abs(params_m - row['params_M']) / row['params_M'] < 0.05
    # The paper's GFLOPs match our count without the transposed convolutions (within 5 %)
    gflops_no_deconv = m['flops_no_deconv'] / 1e9
    assert abs(gflops_no_deconv - row['GFLOPs']) / row['GFLOPs'] < 0.05
    assert m['flops'] > m['flops_no_deconv']


def test_stock_simcc_r50_count_matches_design_notes():
    import mmpose
    cfg = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', ZOO_CONFIGS['SimCC R50 256x192'])
    m = measure_complexity(cfg)
    assert round(m['params'] / 1e6, 1) == 36.8  # the paper's "SimCC 36.8 M" row
    assert round(m['flops'] / 1e9, 1) == 5.5


def test_zoo_metrics_come_from_mmpose_metafiles():
    assert zoo_metrics(ZOO_CONFIGS['SimCC R50 256x192'])['AP'] == 72.1
    assert zoo_metrics('body_2d_keypoint/does/not/exist.py') == {}
