"""The paper's reported rows point at configs that exist; zoo numbers come from MMPose's own
metafiles; the paper table puts measured beside reported."""
import os.path as osp

import pytest

from eba_tools import REPO
from eba_tools.paper import PAPER_ROWS, ZOO_CONFIGS, paper_table_markdown, zoo_metrics


@pytest.mark.parametrize('row', PAPER_ROWS, ids=lambda r: r['name'])
def test_every_paper_row_has_its_config(row):
    assert osp.isfile(osp.join(REPO, row['config']))


def test_zoo_metrics_come_from_mmpose_metafiles():
    assert zoo_metrics(ZOO_CONFIGS['SimCC R50 256x192'])['AP'] == 72.1
    assert zoo_metrics('mmpose::' + ZOO_CONFIGS['SimCC R50 384x288'])['AP'] == 73.5
    assert zoo_metrics('body_2d_keypoint/does/not/exist.py') == {}


def test_markdown_table_shows_the_difference_to_the_reported_params():
    rows = [dict(name='EBA R34', input='384x288', params_M=29.61, GFLOPs=10.68,
                 GFLOPs_no_deconv=8.12, reported_params_M=29.0, reported_GFLOPs=8.1),
            dict(name='zoo', input='256x192', params_M=36.8, GFLOPs=5.5, GFLOPs_no_deconv=5.5,
                 reported_params_M=None, reported_GFLOPs=None)]
    lines = paper_table_markdown(rows).splitlines()
    assert len(lines) == 4
    assert lines[2] == '| EBA R34 | 384x288 | 29.61 | 29.0 | +2.1 % | 10.68 | 8.12 | 8.1 |'
    assert lines[3].startswith('| zoo | 256x192 | 36.80 |  |  |')
