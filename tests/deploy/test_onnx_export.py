"""ONNX export: dynamic batch, parity with PyTorch, decoding of the ONNX outputs."""
import os.path as osp

import numpy as np
import pytest
import torch

from eba_prnetcc_mmpose.deploy import decode_simcc, export_onnx, onnx_parity

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'configs', 'demo', 'simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py')


@pytest.mark.parametrize('batch', [1, 3])
def test_dynamic_batch_parity_and_decoding(tmp_path, batch):
    ckpt = tmp_path / 'weights.pth'
    path = str(tmp_path / 'demo.onnx')
    res = export_onnx(DEMO, path)
    model = res['model']
    with torch.no_grad():  # logits of a realistic scale (the default init gives near-zero ones)
        model.head.mlp_head_x[-1].weight.mul_(300)
        model.head.mlp_head_y[-1].weight.mul_(300)
    torch.save({'state_dict': model.state_dict()}, ckpt)
    res = export_onnx(DEMO, path, checkpoint=str(ckpt))
    w, h = res['input_size']
    parity = onnx_parity(path, res['model'], torch.randn(batch, 3, h, w))
    ort_x, ort_y = parity['outputs']
    assert ort_x.shape == (batch, 17, 2 * w) and ort_y.shape == (batch, 17, 2 * h)
    assert np.abs(ort_x).max() > 1.0  # the comparison is not between near-zero numbers
    assert parity['max_abs_diff_x'] < 1e-4 and parity['max_abs_diff_y'] < 1e-4
    keypoints, scores = decode_simcc(ort_x, ort_y, res['cfg'].codec)
    expected = np.stack([np.argmax(ort_x, -1), np.argmax(ort_y, -1)], -1) / 2.0
    np.testing.assert_allclose(keypoints, expected)
    assert scores.shape == (batch, 17)


def test_missing_checkpoint_and_untraceable_head(tmp_path):
    with pytest.raises(FileNotFoundError, match='checkpoint not found'):
        export_onnx(DEMO, str(tmp_path / 'x.onnx'), checkpoint=str(tmp_path / 'nope.pth'))
    heatmap_cfg = 'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py'
    import mmpose
    cfg = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', heatmap_cfg.split('::')[1])
    with pytest.raises(TypeError, match='does not return SimCC'):
        export_onnx(cfg, str(tmp_path / 'hm.onnx'))
