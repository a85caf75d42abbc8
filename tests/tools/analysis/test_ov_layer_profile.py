"""tools/analysis/ov_layer_profile.py: per-layer OpenVINO counters summed into groups whose total
matches the layers, for both rows of a model folder, with int8 kernels told from f32 ones; a
missing IR is one line naming the fix."""
import json

import numpy as np
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


def test_profile_groups_add_up_and_tell_int8_kernels_from_f32(run_script, tmp_path):
    """The int8 row is the tiny net quantised by our NNCF path: its convolutions must show int8
    kernels (OpenVINO's exec types end in ``I8``/``U8``), the fp32 row's must not, and each
    cell's groups must add up to its layers."""
    import openvino as ov
    from eba_prnetcc_mmpose.deploy.quantize import quantize_openvino
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1),
                        nn.ReLU(), nn.ConvTranspose2d(16, 8, 4, 2, 1), nn.Flatten(),
                        nn.Linear(8 * 16 * 16, 5))
    model = ov.convert_model(net.eval(), example_input=torch.rand(1, 3, 8, 8),
                             input=[ov.PartialShape([-1, 3, 8, 8])])
    (tmp_path / 'tiny').mkdir()
    ov.save_model(model, str(tmp_path / 'tiny' / 'model.xml'), compress_to_fp16=False)
    crops = np.random.default_rng(0).random((8, 3, 8, 8), dtype=np.float32)
    info = quantize_openvino(str(tmp_path / 'tiny' / 'model.xml'), crops,
                             str(tmp_path / 'tiny' / 'model.int8.xml'))
    assert info['fake_quantize_nodes'] > 0
    out = tmp_path / 'p.json'
    code, stdout, err = run_script('analysis/ov_layer_profile.py', [
        '--work-dir', str(tmp_path), '--models', 'tiny', '--batches', '1', '2', '--repeats', '3',
        '--precisions', 'fp32', 'int8', '--out', str(out)])
    assert code == 0, err
    cells = json.loads(out.read_text())['cells']
    assert set(cells) == {f'tiny b{b} {p}' for b in (1, 2) for p in ('fp32', 'int8')}

    def int8_convs(cell):
        return [k for k in cell['layers_ms']
                if k.startswith('Convolution /') and k.upper().endswith(('I8', 'U8'))]

    for b in (1, 2):
        fp32, int8 = cells[f'tiny b{b} fp32'], cells[f'tiny b{b} int8']
        assert not int8_convs(fp32) and int8_convs(int8), (fp32['layers_ms'], int8['layers_ms'])
        for cell in (fp32, int8):
            assert cell['wall_ms'] > 0 and {'conv', 'deconv'} <= set(cell['groups_ms'])
            assert sum(cell['groups_ms'].values()) == pytest.approx(
                sum(cell['layers_ms'].values()))
