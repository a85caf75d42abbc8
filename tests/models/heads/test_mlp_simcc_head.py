import numpy as np
import pytest
import torch
from mmpose.codecs import SimCCLabel
from mmpose.registry import MODELS
from mmpose.testing import get_packed_inputs
from mmengine.structures import InstanceData
from torch import nn

from eba_prnetcc_mmpose.models.heads import MLPSimCCHead

K = 17


def make_head(input_size=(192, 256), **kwargs):
    cfg = dict(type='MLPSimCCHead', in_channels=32, out_channels=K, input_size=input_size,
               in_featuremap_size=tuple(s // 32 for s in input_size),
               deconv_out_channels=(16, 16, 16), deconv_kernel_sizes=(4, 4, 4),
               mlp_hidden_channels=24,
               decoder=dict(type='SimCCLabel', input_size=input_size, sigma=(4.0, 4.0),
                            simcc_split_ratio=2.0))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def feats_for(input_size, batch=2, channels=32):
    return (torch.randn(batch, channels, input_size[1] // 32, input_size[0] // 32),)


@pytest.mark.parametrize('input_size', [(192, 256), (288, 384), (256, 256)])
@pytest.mark.parametrize('num_mlp_layers', [1, 2, 3])
@pytest.mark.parametrize('deconvs', [(), (16,), (16, 16, 16)])
def test_forward_shapes(input_size, num_mlp_layers, deconvs):
    head = make_head(input_size, num_mlp_layers=num_mlp_layers, deconv_out_channels=deconvs,
                     deconv_kernel_sizes=(4, ) * len(deconvs))
    px, py = head(feats_for(input_size))
    assert px.shape == (2, K, input_size[0] * 2) and py.shape == (2, K, input_size[1] * 2)
    n_linear = sum(isinstance(m, nn.Linear) for m in head.mlp_head_x.modules())
    assert n_linear == num_mlp_layers
    assert head.heatmap_size == tuple(s // 32 * 2**len(deconvs) for s in input_size)


@pytest.mark.parametrize('num_mlp_layers', [1, 2])
def test_forward_backward_every_parameter_gets_gradient(num_mlp_layers):
    head = make_head(num_mlp_layers=num_mlp_layers)
    head.init_weights()
    px, py = head(feats_for((192, 256)))
    (px.square().sum() + py.square().sum()).backward()
    dead = [n for n, p in head.named_parameters() if p.grad is None or not p.grad.abs().sum()]
    assert dead == []


def test_paper_layout_parameter_count_and_mish():
    """R34 head at 384x288 (design.md §2): three 4x4 deconvs of 256 with BN + Mish, 1x1 conv to
    17, per axis Linear(96*72 -> 256) - Mish - Linear(256 -> bins)."""
    head = MLPSimCCHead(512, K, input_size=(288, 384), in_featuremap_size=(9, 12))
    deconv = (512 * 256 + 256 * 256 * 2) * 4 * 4 + 3 * 2 * 256
    final = 256 * K + K
    mlp_x = 6912 * 256 + 256 + 256 * 576 + 576
    mlp_y = 6912 * 256 + 256 + 256 * 768 + 768
    assert sum(p.numel() for p in head.parameters()) == deconv + final + mlp_x + mlp_y
    acts = [m for m in head.modules() if isinstance(m, (nn.Mish, nn.ReLU))]
    assert len(acts) == 5 and all(isinstance(a, nn.Mish) for a in acts)  # 3 deconv + 2 MLP
    deconvs = head.deconv_head.deconv_layers  # SimCCHead's layout: [deconv, BN, act] x 3
    assert all(isinstance(m, t) for m, t in zip(
        deconvs, [nn.ConvTranspose2d, nn.BatchNorm2d, nn.Mish] * 3)) and len(deconvs) == 9


@pytest.mark.parametrize('flip_test', [False, True])
@pytest.mark.parametrize('output_heatmaps', [False, True])
def test_predict_like_simcc_head(flip_test, output_heatmaps):
    head = make_head()
    head.eval()
    batch = get_packed_inputs(batch_size=2, img_shape=(256, 192), input_size=(192, 256),
                              with_heatmap=False, with_reg_label=False)['data_samples']
    feats = feats_for((192, 256))
    if flip_test:
        feats = [feats, feats_for((192, 256))]
    out = head.predict(feats, batch, test_cfg=dict(flip_test=flip_test,
                                                   output_heatmaps=output_heatmaps))
    preds, fields = out if output_heatmaps else (out, None)
    assert len(preds) == 2 and preds[0].keypoints.shape == (1, K, 2)
    assert preds[0].keypoint_scores.shape == (1, K)
    if output_heatmaps:
        assert fields[0].heatmaps.shape == (K, 512, 384)
        assert preds[0].keypoint_x_labels.shape == (1, K, 384)


def test_flip_test_averages_with_flipped_prediction():
    """Flip test must equal the mean of the plain and the flipped-back logits (SimCCHead's TTA)."""
    head = make_head()
    head.eval()
    batch = get_packed_inputs(batch_size=1, img_shape=(256, 192), input_size=(192, 256),
                              with_heatmap=False, with_reg_label=False)['data_samples']
    flip_indices = batch[0].metainfo['flip_indices']
    f, f_flip = feats_for((192, 256), batch=1), feats_for((192, 256), batch=1)
    captured = {}
    head.decode = lambda preds: captured.setdefault('x', preds) and []
    head.predict([f, f_flip], batch, test_cfg=dict(flip_test=True))
    px, py = head(f)
    fx, fy = head(f_flip)
    fx = fx.flip(-1)[:, flip_indices]
    fy = fy[:, flip_indices]
    torch.testing.assert_close(captured['x'][0], (px + fx) / 2)
    torch.testing.assert_close(captured['x'][1], (py + fy) / 2)


@pytest.mark.parametrize('codec', [
    dict(smoothing_type='gaussian', sigma=(4.0, 4.0)),
    dict(smoothing_type='standard', sigma=(4.0, 4.0)),
    dict(smoothing_type='standard', label_smooth_weight=0.1),
])
def test_loss_and_decode_with_simcc_label_codec_modes(codec):
    input_size = (192, 256)
    codec_cfg = dict(type='SimCCLabel', input_size=input_size, simcc_split_ratio=2.0, **codec)
    head = make_head(decoder=codec_cfg)
    encoder = SimCCLabel(**{k: v for k, v in codec_cfg.items() if k != 'type'})
    rng = np.random.RandomState(0)
    samples = []
    for _ in range(2):
        kpts = rng.uniform(20, 170, size=(1, K, 2)).astype(np.float32)
        vis = np.ones((1, K), dtype=np.float32)
        enc = encoder.encode(kpts, vis)
        sample = get_packed_inputs(batch_size=1, with_heatmap=False,
                                   with_reg_label=False)['data_samples'][0]
        sample.gt_instance_labels = InstanceData(
            keypoint_x_labels=torch.from_numpy(enc['keypoint_x_labels']),
            keypoint_y_labels=torch.from_numpy(enc['keypoint_y_labels']),
            keypoint_weights=torch.from_numpy(enc['keypoint_weights']))
        samples.append((sample, kpts))
    batch = [s for s, _ in samples]
    feats = feats_for(input_size)
    losses = head.loss(feats, batch)
    assert set(losses) == {'loss_kpt', 'acc_pose'}
    assert torch.isfinite(losses['loss_kpt']) and losses['loss_kpt'] > 0
    losses['loss_kpt'].backward()
    # decoding the codec's own labels recovers the keypoints: head.decode and codec agree
    labels = (torch.cat([s.gt_instance_labels.keypoint_x_labels for s in batch]),
              torch.cat([s.gt_instance_labels.keypoint_y_labels for s in batch]))
    decoded = head.decode(labels)
    for pred, (_, kpts) in zip(decoded, samples):
        assert np.abs(pred.keypoints - kpts).max() <= 0.5 + 1e-4  # one bin = 0.5 px


@pytest.mark.parametrize('kernel', [2, 3, 4])
def test_deconv_kernels_double_the_map(kernel):
    head = make_head(deconv_kernel_sizes=(kernel, ) * 3)
    x = head.deconv_head.deconv_layers(feats_for((192, 256))[0])
    assert x.shape[-2:] == (64, 48)
