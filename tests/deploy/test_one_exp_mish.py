"""The one-exp export-time Mish equals torch's Mish and exports to fewer transcendental ops."""
import numpy as np
import pytest
import torch
from torch import nn

from deploy_helpers import needs_openvino
from eba_prnetcc_mmpose.deploy.one_exp_mish import MISH_CLAMP, OneExpMish, replace_mish
from eba_tools import DEMO_CONFIG


@pytest.mark.parametrize('dtype,rtol', [(torch.float32, 2e-6), (torch.float64, 1e-12)])
def test_one_exp_mish_matches_torch(dtype, rtol):
    x = torch.cat([torch.linspace(-100, 100, 20001, dtype=dtype),
                   torch.tensor([-1e30, -88.5, 19.99, MISH_CLAMP, 20.01, 1e30], dtype=dtype)])
    ours, ref = OneExpMish()(x), nn.Mish()(x)
    assert torch.isfinite(ours).all()
    torch.testing.assert_close(ours, ref, rtol=rtol, atol=rtol * 1e-2)


def test_replace_mish_swaps_every_module_and_keeps_the_original():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Mish(), nn.Sequential(nn.Linear(4, 4),
                                                                       nn.Mish()))
    swapped = replace_mish(model)
    assert swapped._one_exp_mish == 2
    assert sum(isinstance(m, nn.Mish) for m in model.modules()) == 2
    assert not any(isinstance(m, nn.Mish) for m in swapped.modules())


def test_one_exp_export_keeps_logits_within_1e4(tmp_path, demo_checkpoint):
    import onnx

    from eba_prnetcc_mmpose.deploy.onnx_export import export_onnx, onnx_parity
    res = export_onnx(DEMO_CONFIG, str(tmp_path / 'm.onnx'), demo_checkpoint, one_exp_mish=True)
    ops = {n.op_type for n in onnx.load(res['onnx']).graph.node}
    assert 'Softplus' not in ops and 'Exp' in ops
    w, h = res['input_size']
    p = onnx_parity(res['onnx'], res['model'], torch.randn(2, 3, h, w))
    assert max(p['max_abs_diff_x'], p['max_abs_diff_y']) < 1e-4 and p['max_abs_logit'] > 1
    assert np.isfinite(p['outputs'][0]).all()


@needs_openvino
def test_openvino_ir_keeps_the_standard_mish_that_openvino_fuses(tmp_path, demo_checkpoint):
    from eba_prnetcc_mmpose.deploy.onnx_export import export_onnx, onnx_parity
    res = export_onnx(DEMO_CONFIG, str(tmp_path / 'm.onnx'), demo_checkpoint, openvino_ir=True,
                      one_exp_mish=True)
    xml = open(res['openvino']).read()
    assert 'type="Mish"' in xml  # OpenVINO's own Mish op, fused into its convolutions
    w, h = res['input_size']
    p = onnx_parity(res['onnx'], res['model'], torch.randn(2, 3, h, w), 'openvino')
    assert max(p['max_abs_diff_x'], p['max_abs_diff_y']) < 1e-4
