"""MLPSimCCHead as a drop-in for MMPose's SimCCHead.

- With one Linear per axis and ReLU it *is* SimCCHead (modules, state-dict keys, outputs), for
  every deconvolution variant SimCCHead builds.
- It keeps every behaviour MMPose's own SimCCHead tests check (tests/test_models/test_heads/
  test_heatmap_heads/test_simcc_head.py of open-mmlab/mmpose): decoders, predict, heatmap
  output, flip test, loss, and the errors for bad arguments (same type, MMPose's message kept).
- Its own errors name the numbers and the fix; checkpoints of earlier versions of the head and
  of stock SimCC / SimpleBaseline heads load.
"""
import os.path as osp

import pytest
import torch
from mmengine.structures import InstanceData
from mmpose.models.backbones import ResNet
from mmpose.models.heads import HeatmapHead, SimCCHead
from mmpose.testing import get_packed_inputs
from torch import nn

from eba_prnetcc_mmpose.models.backbones import EBAResNet
from eba_prnetcc_mmpose.models.heads import MLPSimCCHead
from eba_prnetcc_mmpose.models.heads.mlp_simcc_head import FeatureMapMismatchError

DATA = osp.join(osp.dirname(osp.abspath(__file__)), 'fixtures')
BASE = dict(in_channels=32, out_channels=17, input_size=(192, 256), in_featuremap_size=(6, 8))
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


def feats(batch=2, channels=32, size=(6, 8)):
    return [torch.rand(batch, channels, size[1], size[0])]


def randomise(module):
    """Non-trivial weights and BN statistics, so equal outputs mean equal computations."""
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) + 0.5 if 'running_var' in name
                        else torch.randn_like(t) * 0.2)


@pytest.mark.parametrize('variant', list(VARIANTS))
def test_one_linear_and_relu_is_simcc_head(variant):
    kwargs = dict(BASE, **VARIANTS[variant])
    stock = SimCCHead(**kwargs)
    ours = MLPSimCCHead(**kwargs, **AS_STOCK)
    assert [(n, type(m)) for n, m in ours.named_modules() if n] == \
        [(n, type(m)) for n, m in stock.named_modules() if n]
    assert {k: v.shape for k, v in ours.state_dict().items()} == \
        {k: v.shape for k, v in stock.state_dict().items()}
    randomise(stock)
    ours.load_state_dict(stock.state_dict(), strict=True)
    x = feats()
    for mode in ('eval', 'train'):
        getattr(stock, mode)(), getattr(ours, mode)()
        for a, b in zip(stock(x), ours(x)):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize('variant', list(VARIANTS))
def test_default_head_swaps_only_activations_and_the_per_axis_layers(variant):
    kwargs = dict(BASE, **VARIANTS[variant])
    stock, ours = SimCCHead(**kwargs), MLPSimCCHead(**kwargs, mlp_hidden_channels=24)
    swapped = {n for n, m in stock.named_modules() if isinstance(m, nn.ReLU)}
    assert {n for n, m in ours.named_modules() if isinstance(m, nn.Mish)} == swapped | {
        'mlp_head_x.1', 'mlp_head_y.1'}
    for axis, bins in (('x', 384), ('y', 512)):
        mlp = getattr(ours, f'mlp_head_{axis}')
        assert [(m.in_features, m.out_features) for m in mlp if isinstance(m, nn.Linear)] == [
            (getattr(stock, f'mlp_head_{axis}').in_features, 24), (24, bins)]
    same = {k for k in stock.state_dict() if not k.startswith('mlp_head')}
    assert same <= set(ours.state_dict())


@pytest.mark.parametrize('norm_cfg,act_cfg,norm_type,act_type', [
    (dict(type='BN'), dict(type='Mish'), nn.BatchNorm2d, nn.Mish),
    (dict(type='GN', num_groups=4), dict(type='SiLU'), nn.GroupNorm, nn.SiLU),
    (None, None, None, None),
])
def test_norm_and_activation_of_the_deconvolutions_are_settings(norm_cfg, act_cfg, norm_type,
                                                                act_type):
    head = MLPSimCCHead(**BASE, **VARIANTS['conv-layers'], norm_cfg=norm_cfg, act_cfg=act_cfg)
    for layers in (head.deconv_head.deconv_layers, head.deconv_head.conv_layers):
        types = [type(m) for m in layers]
        assert types[1::3] == [norm_type or nn.Identity] * (len(types) // 3)
        assert types[2::3] == [act_type or nn.Identity] * (len(types) // 3)
    px, py = head(feats())
    assert px.shape == (2, 17, 384) and py.shape == (2, 17, 512)


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
                             with_simcc_label=True)['data_samples']


@pytest.mark.parametrize('decoder', DECODERS)
@pytest.mark.parametrize('output_heatmaps', [False, True])
def test_predict_with_every_simcc_decoder(decoder, output_heatmaps):
    head = head_with(decoder)
    assert head.decoder is not None
    samples = packed(decoder)
    out = head.predict(feats(), samples, test_cfg=dict(output_heatmaps=output_heatmaps))
    preds, fields = out if output_heatmaps else (out, None)
    assert len(preds) == 2 and isinstance(preds[0], InstanceData)
    assert preds[0].keypoints.shape == samples[0].gt_instances.keypoints.shape
    if output_heatmaps:
        r = decoder['simcc_split_ratio']
        assert preds[0].keypoint_x_labels.shape == (1, 17, int(192 * r))
        assert preds[0].keypoint_y_labels.shape == (1, 17, int(256 * r))
        assert len(fields) == 2 and fields[0].heatmaps.shape == (17, int(256 * r), int(192 * r))


def test_flip_test_prediction():
    decoder = DECODERS[0]
    samples = packed(decoder)
    preds = head_with(decoder).predict([feats(), feats()], samples, test_cfg=dict(flip_test=True))
    assert len(preds) == 2 and preds[0].keypoints.shape == samples[0].gt_instances.keypoints.shape


@pytest.mark.parametrize('decoder', [d for d in DECODERS if d['simcc_split_ratio'] == 2.0])
@pytest.mark.parametrize('loss', [None, dict(type='KLDiscretLoss', use_target_weight=True)])
def test_loss_is_a_scalar_with_accuracy(decoder, loss):
    head = head_with(decoder, **(dict(loss=loss) if loss else {}))
    losses = head.loss(feats(), packed(decoder))
    assert isinstance(losses['loss_kpt'], torch.Tensor) and losses['loss_kpt'].shape == ()
    assert isinstance(losses['acc_pose'], torch.Tensor)


BAD_ARGS = {
    'deconv lengths': dict(deconv_out_channels=(256, ), deconv_kernel_sizes=(4, 4)),
    'deconv kernels None': dict(deconv_out_channels=(256, ), deconv_kernel_sizes=None),
    'conv lengths': dict(conv_out_channels=(256, ), conv_kernel_sizes=(1, 1)),
    'kernel size': dict(deconv_out_channels=(256, ), deconv_kernel_sizes=(1, )),
    'deconv_type': dict(deconv_type='unet'),
    'vipnas groups length': dict(deconv_type='vipnas', deconv_num_groups=(16, 16)),
    'vipnas groups divide': dict(deconv_type='vipnas', deconv_out_channels=(24, 24, 24),
                                 deconv_num_groups=(16, 16, 16)),
    'missing argument': dict(in_featuremap_size=None),
    'unknown argument': dict(deconv_padding=1),
}


@pytest.mark.parametrize('bad', list(BAD_ARGS))
def test_bad_arguments_raise_what_simcc_head_raises(bad):
    kwargs = dict(dict(BASE, in_featuremap_size=(48, 64)), **BAD_ARGS[bad])
    if kwargs['in_featuremap_size'] is None:
        del kwargs['in_featuremap_size']
    with pytest.raises(Exception) as stock:
        SimCCHead(**kwargs)
    with pytest.raises(type(stock.value)) as ours:
        MLPSimCCHead(**kwargs)
    if isinstance(stock.value, ValueError):  # MMPose's message, ours adds who and the fix
        assert str(stock.value) in str(ours.value) and 'MLPSimCCHead' in str(ours.value)


def test_mmpose_error_messages_are_kept():
    for bad, pattern in (('deconv lengths', 'Got mismatched lengths'),
                         ('conv lengths', 'Got mismatched lengths'),
                         ('kernel size', 'Unsupported kernel size.*must be 4, 3 or 2')):
        with pytest.raises(ValueError, match=pattern):
            MLPSimCCHead(**dict(BASE, in_featuremap_size=(48, 64), **BAD_ARGS[bad]))


# ------------------------------------------------------------------ our own errors
@pytest.mark.parametrize('kwargs,pattern', [
    (dict(num_mlp_layers=0), 'num_mlp_layers must be an integer >= 1'),
    (dict(in_featuremap_size=(6, 6)),
     r'in_featuremap_size \(W, H\) = \(6, 6\) does not tile input_size .*'
     r'set in_featuremap_size=\(6, 8\)'),
    (dict(in_featuremap_size=(0, 8)), 'positive'),
    (dict(decoder=dict(type='SimCCLabel', input_size=(288, 384), sigma=6.0)),
     r'codec .* input_size \(288, 384\).*must agree'),
    (dict(decoder=dict(type='SimCCLabel', input_size=(192, 256), sigma=6.0,
                       simcc_split_ratio=3.0)), 'simcc_split_ratio 3.0'),
])
def test_inconsistent_sizes_fail_at_construction(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        MLPSimCCHead(**dict(BASE, **kwargs))


@pytest.mark.parametrize('input_size,wrong,right,odd', [
    ((48, 64), (1, 2), (2, 2), 'W = 48 is not a multiple of 32'),
    ((64, 48), (2, 1), (2, 2), 'H = 48 is not a multiple of 32'),
    ((72, 100), (2, 3), (3, 4), 'W = 72 and H = 100 are not a multiple of 32'),
])
def test_input_not_a_multiple_of_the_stride_names_the_side(input_size, wrong, right, odd):
    with pytest.raises(ValueError) as err:
        MLPSimCCHead(**dict(BASE, input_size=input_size, in_featuremap_size=wrong))
    msg = str(err.value)
    assert odd in msg and f'in_featuremap_size={right}' in msg
    assert f'in_featuremap_size={wrong}' not in msg  # never suggests the value already set
    # the suggested size is what a ResNet gives, and the model then runs
    head = MLPSimCCHead(**dict(BASE, in_channels=512, input_size=input_size,
                               in_featuremap_size=right, deconv_out_channels=(16, 16),
                               deconv_kernel_sizes=(4, 4)))
    backbone = ResNet(18)
    backbone.eval()  # (MMPose's ResNet.train returns None: no chaining)
    with torch.no_grad():
        px, py = head.eval()(backbone(torch.randn(1, 3, input_size[1], input_size[0])))
    assert px.shape[-1] == input_size[0] * 2 and py.shape[-1] == input_size[1] * 2


def test_in_channels_mismatch_names_the_backbone_arithmetic():
    backbone = EBAResNet(18, base_channels=32)
    backbone.eval()
    x = backbone(torch.randn(1, 3, 256, 192))
    head = MLPSimCCHead(**dict(BASE, in_channels=512, deconv_out_channels=(16, ),
                               deconv_kernel_sizes=(4, )))
    with pytest.raises(FeatureMapMismatchError) as err:
        head(x)
    msg = str(err.value)
    assert "the backbone's last feature map has 256 channels but in_channels=512" in msg
    assert 'model.head.in_channels=256' in msg
    assert 'ResNet-18/34 with base_channels=32 gives 32 x 8 = 256' in msg
    assert 'in_channels=512 fits ResNet-18/34 with base_channels=64' in msg
    # the stock head fails there with a RuntimeError from its convolution: ours is one too
    with pytest.raises(RuntimeError):
        SimCCHead(**dict(BASE, in_channels=512, deconv_out_channels=(16, ),
                         deconv_kernel_sizes=(4, )))(x)
    assert isinstance(err.value, (RuntimeError, ValueError))


def test_feature_map_size_mismatch_at_forward():
    head = MLPSimCCHead(**BASE)
    with pytest.raises(FeatureMapMismatchError,
                       match=r'expected a backbone feature map of W x H = 6 x 8 '
                             r'\(in_featuremap_size\) but got 9 x 12'):
        head(feats(size=(9, 12)))


# ------------------------------------------------------------------ checkpoints
def test_checkpoint_of_the_earlier_head_layout_loads():
    """tests/models/heads/fixtures/mlp_simcc_head_v0.pth: a head saved by the MLPSimCCHead of
    commit 8abb941 (ConvModule deconvolutions, keys ``deconv_layers.N.conv/bn``), with an input
    and the outputs it gave. It loads into today's head (strict) and gives the same outputs."""
    saved = torch.load(osp.join(DATA, 'mlp_simcc_head_v0.pth'), weights_only=True)
    assert any(k.startswith('deconv_layers.0.conv.') for k in saved['state_dict'])
    head = MLPSimCCHead(**saved['kwargs'])
    head.load_state_dict(saved['state_dict'], strict=True)
    head.eval()
    with torch.no_grad():
        for a, b in zip(head([saved['input']]), saved['output']):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize('source', ['SimCCHead', 'HeatmapHead'])
@pytest.mark.parametrize('num_mlp_layers', [1, 2])
def test_stock_head_checkpoint_initialises_the_head(tmp_path, captured_log, source,
                                                    num_mlp_layers):
    """A whole-model checkpoint of a stock SimCC (or SimpleBaseline) head initialises the
    deconvolutions and the final layer; the MLP keeps its init; one log line says so."""
    kwargs = dict(BASE, deconv_out_channels=(16, 16), deconv_kernel_sizes=(4, 4))
    if source == 'SimCCHead':
        stock = SimCCHead(**kwargs)
    else:
        stock = HeatmapHead(32, 17, deconv_out_channels=(16, 16), deconv_kernel_sizes=(4, 4))
    randomise(stock)
    path = tmp_path / 'pose_model.pth'
    torch.save({'state_dict': {f'head.{k}': v for k, v in stock.state_dict().items()},
                'meta': {}}, path)
    ours = MLPSimCCHead(**kwargs, num_mlp_layers=num_mlp_layers,
                        init_cfg=dict(type='Pretrained', checkpoint=str(path), prefix='head.'))
    ours.init_weights()
    own = ours.state_dict()
    tag = 'deconv_head.' if source == 'HeatmapHead' else ''
    for key, value in stock.state_dict().items():
        if not key.startswith('mlp_head'):
            torch.testing.assert_close(own[tag + key], value, msg=key)
    stock_linear = source == 'SimCCHead' and num_mlp_layers == 1
    mlp_loaded = torch.equal(own['mlp_head_x.weight' if num_mlp_layers == 1
                                 else 'mlp_head_x.0.weight'],
                             stock.state_dict().get('mlp_head_x.weight', torch.zeros(0)))
    assert mlp_loaded == stock_linear
    if not stock_linear:  # new layers got the default init (Normal std 0.01, bias 0)
        assert 0.005 < own['mlp_head_y.0.weight' if num_mlp_layers > 1
                           else 'mlp_head_y.weight'].std() < 0.02
    lines = [r.getMessage() for r in captured_log if 'newly initialised' in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith('MLPSimCCHead: loaded ')
    assert 'deconv_head.deconv_layers.0' in lines[0]
    if num_mlp_layers == 2:
        assert 'mlp_head_x.0' in lines[0].split('; ')[1]        # new
    if source == 'SimCCHead' and num_mlp_layers == 2:
        assert 'mlp_head_x (not in this head)' in lines[0]      # ignored


def test_checkpoint_that_fits_nothing_is_a_clear_error(tmp_path):
    path = tmp_path / 'resnet.pth'
    torch.save(ResNet(18).state_dict(), path)
    with pytest.raises(ValueError, match=r"nothing in .* fits this head.*prefix='head.'"):
        MLPSimCCHead(**BASE).load_pretrained(str(path), prefix=None)
    with pytest.raises(ValueError, match="no key of .* starts with prefix 'head.'"):
        MLPSimCCHead(**BASE).load_pretrained(str(path))
