"""ONNX / OpenVINO export: dynamic batch, parity with PyTorch, metadata, sizes from the model."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from deploy_helpers import needs_openvino
from eba_prnetcc_mmpose.deploy import export_onnx, onnx_parity
from eba_prnetcc_mmpose.deploy.runtime import cpu_bf16_support
from eba_tools import DEMO_CONFIG

BACKENDS = ['onnxruntime', pytest.param('openvino', marks=needs_openvino)]


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('batch', [1, 3])
def test_dynamic_batch_parity_and_decoding(demo_export, backend, batch):
    res = demo_export
    w, h = res['input_size']
    parity = onnx_parity(res['onnx'], res['model'], torch.randn(batch, 3, h, w), backend)
    out_x, out_y = parity['outputs']
    assert out_x.shape == (batch, 17, 2 * w) and out_y.shape == (batch, 17, 2 * h)
    assert parity['max_abs_logit'] > 1.0  # the comparison is not between near-zero numbers
    assert parity['max_abs_diff_x'] < 1e-4 and parity['max_abs_diff_y'] < 1e-4
    from mmpose.registry import KEYPOINT_CODECS
    keypoints, scores = KEYPOINT_CODECS.build(res['cfg'].codec).decode(out_x, out_y)
    expected = np.stack([np.argmax(out_x, -1), np.argmax(out_y, -1)], -1) / 2.0
    np.testing.assert_allclose(keypoints, expected)
    assert scores.shape == (batch, 17)


@needs_openvino
@pytest.mark.skipif(not cpu_bf16_support(), reason='this CPU has no native bf16')
def test_openvino_bf16_logits_are_close(demo_export):
    w, h = demo_export['input_size']
    p = onnx_parity(demo_export['onnx'], demo_export['model'], torch.randn(2, 3, h, w),
                    'openvino', 'bf16')
    # bf16 keeps 8 significant bits: expect percent-level logit differences, not 1e-4
    assert max(p['max_abs_diff_x'], p['max_abs_diff_y']) < 0.1 * p['max_abs_logit']


def test_metadata_is_read_from_the_model(demo_export):
    meta = json.loads(open(demo_export['meta']).read())
    assert meta['input_size'] == [96, 128] and meta['simcc_split_ratio'] == 2.0
    assert meta['num_keypoints'] == 17 and meta['flip_test'] is True
    assert meta['flip_indices'][:3] == [0, 2, 1] and meta['keypoint_names'][0] == 'nose'
    assert meta['mean'] == pytest.approx([123.675, 116.28, 103.53]) and meta['bgr_to_rgb']
    assert meta['bbox_padding'] == 1.25 and meta['decoder'] == 'SimCCLabel'


def test_sizes_come_from_the_model_not_the_top_level_codec(tmp_path):
    """A config whose model kept 128x96 while its top-level codec says 64x64."""
    cfg = tmp_path / 'child.py'
    cfg.write_text(f"_base_ = ['{DEMO_CONFIG}']\n"
                   "codec = dict(type='SimCCLabel', input_size=(64, 64), sigma=(3.0, 3.0), "
                   "simcc_split_ratio=2.0)\n")
    res = export_onnx(str(cfg), str(tmp_path / 'child.onnx'))
    assert res['input_size'] == (96, 128)
    meta = json.loads(open(res['meta']).read())
    assert meta['input_size'] == [96, 128]


def test_missing_checkpoint_and_untraceable_head(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        export_onnx(DEMO_CONFIG, str(tmp_path / 'x.onnx'), checkpoint=str(tmp_path / 'nope.pth'))
    with pytest.raises(TypeError, match='SimCC'):
        export_onnx('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
                    'td-hm_res50_8xb64-210e_coco-256x192.py', str(tmp_path / 'hm.onnx'))


def test_heatmap_models_export_raw_outputs_without_metadata(tmp_path):
    res = export_onnx('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
                      'td-hm_res50_8xb64-210e_coco-256x192.py', str(tmp_path / 'hm.onnx'),
                      require_simcc=False)
    assert res['meta'] is None and osp.isfile(res['onnx'])
