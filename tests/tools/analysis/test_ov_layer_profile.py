"""tools/analysis/ov_layer_profile.py: per-layer OpenVINO counters summed into groups whose total
matches the layers, for both rows of a model folder; a missing IR is one line naming the fix."""
import json

import pytest
import torch
from torch import nn

from deploy_helpers import has_openvino

pytestmark = pytest.mark.skipif(not has_openvino(), reason='OpenVINO is not installed')


def test_help_documents_every_argument(check_help):
    check_help('analysis/ov_layer_profile.py')


def test_missing_ir_is_one_line(run_script, error_lines, tmp_path):
    code, _, err = run_script('analysis/ov_layer_profile.py',
                              ['--work-dir', str(tmp_path), '--models', 'nope'])
    assert code != 0 and 'benchmark.py' in err and 'nope' in err


def test_profile_groups_add_up(run_script, tmp_path):
    import openvino as ov
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                        nn.ConvTranspose2d(8, 4, 4, 2, 1), nn.Flatten(), nn.Linear(4 * 16 * 16, 5))
    model = ov.convert_model(net.eval(), example_input=torch.rand(1, 3, 8, 8),
                             input=[ov.PartialShape([-1, 3, 8, 8])])
    (tmp_path / 'tiny').mkdir()
    for name in ('model.xml', 'model.int8.xml'):  # plumbing only: the same IR in both rows
        ov.save_model(model, str(tmp_path / 'tiny' / name))
    out = tmp_path / 'p.json'
    code, stdout, err = run_script('analysis/ov_layer_profile.py', [
        '--work-dir', str(tmp_path), '--models', 'tiny', '--batches', '1', '2', '--repeats', '3',
        '--precisions', 'fp32', 'int8', '--out', str(out)])
    assert code == 0, err
    cells = json.loads(out.read_text())['cells']
    assert set(cells) == {f'tiny b{b} {p}' for b in (1, 2) for p in ('fp32', 'int8')}
    for cell in cells.values():
        assert cell['wall_ms'] > 0 and {'conv', 'deconv'} <= set(cell['groups_ms'])
        assert sum(cell['groups_ms'].values()) == pytest.approx(sum(cell['layers_ms'].values()))
