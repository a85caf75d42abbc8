"""MLPSimCCHead: the paper's head, and a drop-in for MMPose's SimCCHead. MMPose's own SimCCHead
tests (tests/test_models/test_heads/test_heatmap_heads/test_simcc_head.py of open-mmlab/mmpose)
run on it; with one Linear per axis and ReLU it is SimCCHead, for every deconvolution layout."""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.runner.checkpoint import load_checkpoint
from mmengine.structures import InstanceData
from mmpose.codecs import SimCCLabel
from mmpose.models.heads import HeatmapHead, SimCCHead
from mmpose.registry import MODELS
from mmpose.testing import get_packed_inputs
from torch import nn

from eba_prnetcc_mmpose.models.heads import MLPSimCCHead

K = 17
BASE = dict(in_channels=32, out_channels=K, input_size=(192, 256), in_featuremap_size=(6, 8))
AS_STOCK = dict(num_mlp_layers=1, act_cfg=dict(type='ReLU'), loss=dict(type='KLDiscretLoss'))

#: every deconvolution layout SimCCHead builds, as in MMPose's stock SimCC configs
VARIANTS = {
    'res50': dict(),                                                 # 3 x 4x4 deconv, 256
    'small': dict(deconv_out_channels=(16, 16), deconv_kernel_sizes=(4, 3)),
    'kernel2': dict(deconv_out_channels=(16, ), deconv_kernel_sizes=(2, )),
    'wo-deconv': dict(deconv_out_channels=None),                     # mobilenetv2 / mpii
    'wo-deconv-wo-final': dict(deconv_out_channels=None, final_layer=None),
    'vipnas': dict(deconv_type='vipnas', deconv_out_channels=(32, 32, 32),
                   deconv_num_groups=(32, 32, 32)),
    'conv-layers': dict(deconv_out_channels=(16, 16), deconv_kernel_sizes=(4, 4),
                        conv_out_channels=(8, ), conv_kernel_sizes=(3, )),
    'wo-final': dict(deconv_out_channels=(16, ), deconv_kernel_sizes=(4, ), final_layer=None),
}
SMALL = VARIANTS['small']


def feats(batch=2, channels=32, size=(6, 8)):
    return [torch.rand(batch, channels, size[1], size[0])]


def randomise(module):
    """Non-trivial weights and BN statistics, so equal outputs mean equal computations."""
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) + 0.5 if 'running_var' in name
                        else torch.randn_like(t) * 0.2)


# ------------------------------------------------------------------ a drop-in for SimCCHead
@pytest.mark.parametrize('variant', list(VARIANTS))
def test_one_linear_and_relu_is_simcc_head(variant):
    kwargs = dict(BASE, **VARIANTS[variant])
    stock, ours = SimCCHead(**kwargs), MLPSimCCHead(**kwargs, **AS_STOCK)
    assert [(n, type(m)) for n, m in ours.named_modules() if n] == \
        [(n, type(m)) for n, m in stock.named_modules() if n]
    randomise(stock)
    ours.load_state_dict(stock.state_dict(), strict=True)
    x = feats()
    for mode in ('eval', 'train'):
        getattr(stock, mode)(), getattr(ours, mode)()
        for a, b in zip(stock(x), ours(x)):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize('variant', list(VARIANTS))
def test_default_head_changes_only_the_activations_and_the_per_axis_layers(variant):
    kwargs = dict(BASE, **VARIANTS[variant])
    stock, ours = SimCCHead(**kwargs), MLPSimCCHead(**kwargs, mlp_hidden_channels=24)
    relus = {n for n, m in stock.named_modules() if isinstance(m, nn.ReLU)}
    assert {n for n, m in ours.named_modules() if isinstance(m, nn.Mish)} == relus | {
        'mlp_head_x.1', 'mlp_head_y.1'}
    for axis, bins in (('x', 384), ('y', 512)):
        linears = [m for m in getattr(ours, f'mlp_head_{axis}') if isinstance(m, nn.Linear)]
        flat = getattr(stock, f'mlp_head_{axis}').in_features
        assert [(m.in_features, m.out_features) for m in linears] == [(flat, 24), (24, bins)]
    stock_keys = {k for k in stock.state_dict() if not k.startswith('mlp_head')}
    assert stock_keys == {k for k in ours.state_dict() if not k.startswith('mlp_head')}


def test_with_the_stock_linears_put_back_it_computes_simcc_head():
    stock = SimCCHead(**BASE, **SMALL)
    ours = MLPSimCCHead(**BASE, **SMALL, act_cfg=dict(type='ReLU'))
    randomise(stock)
    ours.load_state_dict(stock.state_dict(), strict=False)
    ours.mlp_head_x, ours.mlp_head_y = stock.mlp_head_x, stock.mlp_head_y
    stock.eval(), ours.eval()
    x = feats()
    for a, b in zip(stock(x), ours(x)):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize('norm_cfg,act_cfg,norm_type,act_type', [
    (dict(type='BN'), dict(type='Mish'), nn.BatchNorm2d, nn.Mish),
    (dict(type='GN', num_groups=4), dict(type='SiLU'), nn.GroupNorm, nn.SiLU),
    (None, None, nn.Identity, nn.Identity),
])
def test_norm_and_activation_of_the_convolutions_are_settings(norm_cfg, act_cfg, norm_type,
                                                               act_type):
    head = MLPSimCCHead(**BASE, **VARIANTS['conv-layers'], norm_cfg=norm_cfg, act_cfg=act_cfg)
    for layers in (head.deconv_head.deconv_layers, head.deconv_head.conv_layers):
        types = [type(m) for m in layers]
        assert types[1::3] == [norm_type] * (len(types) // 3)
        assert types[2::3] == [act_type] * (len(types) // 3)
    px, py = head(feats())
    assert px.shape == (2, K, 384) and py.shape == (2, K, 512)


# ------------------------------------------------------------------ the paper's head
@pytest.mark.parametrize('num_mlp_layers', [1, 2, 3])
@pytest.mark.parametrize('variant', ['res50', 'wo-deconv', 'vipnas'])
def test_forward_backward_every_parameter_gets_gradient(num_mlp_layers, variant):
    head = MLPSimCCHead(**BASE, **VARIANTS[variant], num_mlp_layers=num_mlp_layers,
                        mlp_hidden_channels=24)
    head.init_weights()
    px, py = head(feats())
    assert px.shape == (2, K, 384) and py.shape == (2, K, 512)
    assert sum(isinstance(m, nn.Linear) for m in head.mlp_head_x.modules()) == num_mlp_layers
    (px.square().sum() + py.square().sum()).backward()
    assert [n for n, p in head.named_parameters() if p.grad is None or not p.grad.any()] == []


def test_paper_layout_parameter_count():
    """R34 head at 384x288 (design.md §2): three 4x4 deconvs of 256 with BN + Mish, 1x1 conv
    to 17, per axis Linear(96*72 -> 256) - Mish - Linear(256 -> bins)."""
    head = MLPSimCCHead(512, K, input_size=(288, 384), in_featuremap_size=(9, 12))
    deconv = (512 * 256 + 256 * 256 * 2) * 4 * 4 + 3 * 2 * 256
    final = 256 * K + K
    mlp = 2 * (6912 * 256 + 256) + 256 * 576 + 576 + 256 * 768 + 768
    assert sum(p.numel() for p in head.parameters()) == deconv + final + mlp
    assert sum(isinstance(m, nn.Mish) for m in head.modules()) == 5   # 3 deconv + 2 MLP
    assert not any(isinstance(m, nn.ReLU) for m in head.modules())


def test_mlp_matches_hand_computation():
    head = MLPSimCCHead(**BASE, deconv_out_channels=None, mlp_hidden_channels=8)
    x = feats()
    flat = head.final_layer(x[0]).flatten(2)
    lin1, _, lin2 = head.mlp_head_x
    expected = F.linear(F.mish(F.linear(flat, lin1.weight, lin1.bias)), lin2.weight, lin2.bias)
    torch.testing.assert_close(head(x)[0], expected)


@pytest.mark.parametrize('name', ['num_mlp_layers', 'mlp_hidden_channels'])
@pytest.mark.parametrize('value,error', [
    (0, ValueError), (-2, ValueError), (1.5, TypeError), (8.0, TypeError), (True, TypeError),
    ('2', TypeError), (None, TypeError)])
def test_bad_mlp_sizes_name_the_setting(name, value, error):
    """No width-0 MLP, no raw torch error, no ``True`` taken as 1."""
    with pytest.raises(error, match=rf'{name} must be an int >= 1, got {value!r}'):
        MLPSimCCHead(**BASE, **{name: value})


@pytest.mark.parametrize('decoder,setting', [
    (dict(input_size=(288, 384)), 'input_size'),
    (dict(input_size=(192, 256), simcc_split_ratio=3.0), 'simcc_split_ratio')])
def test_decoder_that_disagrees_with_the_head_is_a_build_error(decoder, setting):
    with pytest.raises(ValueError, match=setting):
        MLPSimCCHead(**BASE, decoder=dict(type='SimCCLabel', sigma=6.0, **decoder))


# ------------------------------------------------------------------ MMPose's SimCCHead tests
DECODERS = [
    dict(smoothing_type='gaussian', sigma=6., simcc_split_ratio=2.0),
    dict(smoothing_type='standard', sigma=6., simcc_split_ratio=3.0, label_smooth_weight=0.1),
    dict(smoothing_type='standard', sigma=6., simcc_split_ratio=3.0),   # one-hot
    dict(smoothing_type='standard', sigma=2., simcc_split_ratio=2.0, label_smooth_weight=0.1),
]


def head_with(decoder, **kwargs):
    cfg = dict(type='SimCCLabel', input_size=(192, 256), **decoder)
    return MLPSimCCHead(**BASE, simcc_split_ratio=decoder['simcc_split_ratio'], decoder=cfg,
                        mlp_hidden_channels=24, **kwargs)


def packed(decoder, batch=2):
    return get_packed_inputs(batch_size=batch, simcc_split_ratio=decoder['simcc_split_ratio'],
                             with_heatmap=False, with_reg_label=False)['data_samples']


@pytest.mark.parametrize('decoder', DECODERS)
@pytest.mark.parametrize('output_heatmaps', [False, True])
def test_predict_with_every_simcc_decoder(decoder, output_heatmaps):
    head = head_with(decoder)
    samples = packed(decoder)
    out = head.predict(feats(), samples, test_cfg=dict(output_heatmaps=output_heatmaps))
    preds, fields = out if output_heatmaps else (out, None)
    assert len(preds) == 2 and isinstance(preds[0], InstanceData)
    assert preds[0].keypoints.shape == samples[0].gt_instances.keypoints.shape
    if output_heatmaps:
        r = decoder['simcc_split_ratio']
        assert preds[0].keypoint_x_labels.shape == (1, K, int(192 * r))
        assert preds[0].keypoint_y_labels.shape == (1, K, int(256 * r))
        assert len(fields) == 2 and fields[0].heatmaps.shape == (K, int(256 * r), int(192 * r))


def test_flip_test_averages_with_the_flipped_back_prediction():
    head = head_with(DECODERS[0])
    head.eval()
    samples = packed(DECODERS[0], batch=1)
    flip_indices = samples[0].metainfo['flip_indices']
    f, f_flip = feats(batch=1), feats(batch=1)
    captured = []
    head.decode = lambda preds: captured.append(preds) or []
    head.predict([f, f_flip], samples, test_cfg=dict(flip_test=True))
    (px, py), (fx, fy) = head(f), head(f_flip)
    torch.testing.assert_close(captured[0][0], (px + fx.flip(-1)[:, flip_indices]) / 2)
    torch.testing.assert_close(captured[0][1], (py + fy[:, flip_indices]) / 2)


@pytest.mark.parametrize('decoder', [d for d in DECODERS if d['simcc_split_ratio'] == 2.0])
@pytest.mark.parametrize('loss', [None, dict(type='KLDiscretLoss', use_target_weight=True)])
def test_loss_is_a_scalar_with_accuracy(decoder, loss):
    head = head_with(decoder, **(dict(loss=loss) if loss else {}))
    losses = head.loss(feats(), packed(decoder))
    assert set(losses) == {'loss_kpt', 'acc_pose'}
    assert losses['loss_kpt'].shape == () and losses['loss_kpt'] > 0
    assert isinstance(losses['acc_pose'], torch.Tensor)


def test_loss_is_simcc_heads_loss():
    """Same weights, same loss module: our loss and accuracy are SimCCHead's."""
    stock = SimCCHead(**BASE, **SMALL, decoder=dict(type='SimCCLabel', input_size=(192, 256),
                                                    sigma=6.0))
    ours = MLPSimCCHead(**BASE, **SMALL, **AS_STOCK)
    randomise(stock)
    ours.load_state_dict(stock.state_dict())
    samples, x = packed(DECODERS[0]), feats()
    for a, b in zip(stock.loss(x, samples).values(), ours.loss(x, samples).values()):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize('codec', [
    dict(smoothing_type='gaussian', sigma=(4.0, 4.0)),
    dict(smoothing_type='standard', sigma=(4.0, 4.0)),
    dict(smoothing_type='standard', label_smooth_weight=0.1),
])
def test_codec_labels_decode_back_to_the_keypoints(codec):
    codec_cfg = dict(type='SimCCLabel', input_size=(192, 256), simcc_split_ratio=2.0, **codec)
    head = MLPSimCCHead(**BASE, **SMALL, decoder=codec_cfg)
    kpts = np.random.RandomState(0).uniform(20, 170, size=(1, K, 2)).astype(np.float32)
    enc = SimCCLabel(**{k: v for k, v in codec_cfg.items() if k != 'type'}).encode(
        kpts, np.ones((1, K), dtype=np.float32))
    labels = (torch.from_numpy(enc['keypoint_x_labels']),
              torch.from_numpy(enc['keypoint_y_labels']))
    (pred, ) = head.decode(labels)
    assert np.abs(pred.keypoints - kpts).max() <= 0.5 + 1e-4  # one bin = 0.5 px


@pytest.mark.parametrize('bad', [
    dict(deconv_out_channels=(256, ), deconv_kernel_sizes=(4, 4)),   # 'Got mismatched lengths'
    dict(conv_out_channels=(256, ), conv_kernel_sizes=(1, 1)),
    dict(deconv_out_channels=(256, ), deconv_kernel_sizes=(1, )),    # 'Unsupported kernel size'
    dict(deconv_type='bad'),
])
def test_bad_arguments_raise_what_simcc_head_raises(bad):
    kwargs = dict(BASE, in_featuremap_size=(48, 64), **bad)  # MMPose's test sizes
    with pytest.raises(Exception) as stock:
        SimCCHead(**kwargs)
    with pytest.raises(type(stock.value), match=str(stock.value)[:20]):
        MLPSimCCHead(**kwargs)


# ------------------------------------------------------------------ zoo weights
@pytest.mark.parametrize('source', ['SimCCHead', 'HeatmapHead'])
@pytest.mark.parametrize('num_mlp_layers', [1, 2])
def test_pretrained_init_cfg_loads_a_stock_head(tmp_path, source, num_mlp_layers):
    """A pose-model checkpoint of a stock SimCC (or SimpleBaseline) head fills the
    deconvolutions and the final layer; the MLP gets SimCCHead's default init."""
    if source == 'SimCCHead':
        stock = SimCCHead(**BASE, **SMALL)
    else:
        stock = HeatmapHead(32, K, deconv_out_channels=(16, 16), deconv_kernel_sizes=(4, 3))
    randomise(stock)
    path = tmp_path / 'pose_model.pth'
    torch.save({'state_dict': {f'head.{k}': v for k, v in stock.state_dict().items()}}, path)
    ours = MLPSimCCHead(**BASE, **SMALL, num_mlp_layers=num_mlp_layers,
                        init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='head.'))
    ours.init_weights()
    own = ours.state_dict()
    tag = 'deconv_head.' if source == 'HeatmapHead' else ''
    for key, value in stock.state_dict().items():
        if not key.startswith('mlp_head'):
            torch.testing.assert_close(own[tag + key], value, msg=key)
    if source == 'SimCCHead' and num_mlp_layers == 1:
        torch.testing.assert_close(own['mlp_head_x.weight'], stock.mlp_head_x.weight)
    else:  # SimCCHead's default init: Normal(std 0.01), bias 0
        first = ours.mlp_head_y if num_mlp_layers == 1 else ours.mlp_head_y[0]
        assert 0.007 < first.weight.std() < 0.013 and not first.bias.any()


def test_load_from_a_simple_baseline_checkpoint_maps_the_deconvolutions(tmp_path):
    """MMEngine's load_checkpoint (``load_from``) goes through the same key map."""
    stock = HeatmapHead(32, K, deconv_out_channels=(16, 16), deconv_kernel_sizes=(4, 3))
    randomise(stock)
    path = tmp_path / 'simplebaseline.pth'
    torch.save({'state_dict': stock.state_dict()}, path)
    ours = MLPSimCCHead(**BASE, **SMALL)
    load_checkpoint(ours, str(path), strict=False)
    for key, value in stock.state_dict().items():
        torch.testing.assert_close(ours.state_dict()[f'deconv_head.{key}'], value, msg=key)


# ------------------------------------------------------------------ mixed precision
def small_pose_model():
    return MODELS.build(dict(
        type='TopdownPoseEstimator',
        data_preprocessor=dict(type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
                               std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
        backbone=dict(type='EBAResNet', depth=18, base_channels=16, stem_channels=16,
                      zero_init_residual=False),
        head=dict(type='MLPSimCCHead', in_channels=128, out_channels=K, input_size=(64, 64),
                  in_featuremap_size=(2, 2), deconv_out_channels=(32, 32),
                  deconv_kernel_sizes=(4, 4), mlp_hidden_channels=32,
                  loss=dict(type='EBAKLDiscretLoss', use_target_weight=True, bin_reduction='mean'),
                  decoder=dict(type='SimCCLabel', input_size=(64, 64), sigma=2.0))))


def test_training_step_under_bf16_autocast_matches_fp32():
    """SimCCHead.loss fails there (numpy has no bfloat16); ours trains, close to fp32."""
    torch.manual_seed(0)
    model = small_pose_model()
    model.init_weights()
    with torch.no_grad():  # confident logits (SimCCHead's init gives ~1e-5: all near uniform)
        for m in model.head.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                m.reset_parameters()
        model.head.mlp_head_x[-1].weight.mul_(30), model.head.mlp_head_y[-1].weight.mul_(30)
    data = model.data_preprocessor(get_packed_inputs(
        batch_size=4, img_shape=(64, 64), input_size=(64, 64), with_heatmap=False,
        with_reg_label=False), training=True)
    results, dtypes = [], []
    for autocast in (False, True):
        m = copy.deepcopy(model)
        m.train()
        m.head.mlp_head_x.register_forward_hook(lambda mod, args, out: dtypes.append(out.dtype))
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=autocast):
            losses = m.loss(data['inputs'], data['data_samples'])
        losses['loss_kpt'].backward()
        results.append((losses['loss_kpt'].item(),
                        torch.cat([p.grad.flatten() for p in m.parameters()])))
    assert dtypes == [torch.float32, torch.bfloat16]  # the logits really were bf16
    (loss32, g32), (loss16, g16) = results
    assert loss32 > 1 and abs(loss16 - loss32) / loss32 < 0.05
    assert F.cosine_similarity(g16, g32, dim=0) >= 0.95
