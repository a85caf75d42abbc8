"""Parameter and FLOP counts (MMEngine's counter) of the paper's rows against the paper's
reported numbers, of a zoo model against the design notes, and at another input size."""
import math
import os.path as osp

import pytest

from eba_tools import REPO
from eba_tools.complexity import count_model, measure_complexity
from eba_tools.paper import PAPER_ROWS, ZOO_CONFIGS

HEATMAP = 'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py'


@pytest.mark.parametrize('row', PAPER_ROWS, ids=lambda r: r['name'])
def test_paper_rows_params_and_flops(row):
    m = measure_complexity(osp.join(REPO, row['config']))
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


def test_stock_simcc_r50_count():
    m = measure_complexity('mmpose::' + ZOO_CONFIGS['SimCC R50 256x192'])
    assert round(m['params'] / 1e6, 1) == 36.8  # the paper's "SimCC 36.8 M" row
    assert round(m['flops'] / 1e9, 1) == 5.5


def test_heatmap_model_counts_at_another_size():
    """Fully convolutional heads take other sizes; FLOPs scale with the pixels."""
    base, big = measure_complexity(HEATMAP), measure_complexity(HEATMAP, input_size=(288, 384))
    assert big['input_size'] == (288, 384)
    assert big['flops'] / base['flops'] == pytest.approx(384 * 288 / (256 * 192), rel=0.01)


def test_simcc_model_refuses_another_size():
    from eba_prnetcc_mmpose.utils.model_build import ModelBuildError, build_model
    from eba_tools import DEMO_CONFIG
    model, _ = build_model(DEMO_CONFIG)
    assert count_model(model)['input_size'] == (96, 128)
    with pytest.raises(ModelBuildError, match='128 x 96'):
        count_model(model, (192, 256))
