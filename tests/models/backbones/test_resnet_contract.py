"""EBAResNet and its blocks keep every behaviour MMPose's own ResNet tests check
(tests/test_models/test_backbones/test_resnet.py of open-mmlab/mmpose): each case runs the
stock class and ours side by side and compares the outcome."""
import pytest
import torch
from mmcv.cnn import ConvModule
from mmpose.models.backbones import ResNet
from mmpose.models.backbones.resnet import BasicBlock, Bottleneck, ResLayer, get_expansion
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from eba_prnetcc_mmpose.models.backbones import EBABasicBlock, EBABottleneck, EBAResNet
from eba_prnetcc_mmpose.models.backbones.eba_resnet import UnknownDepthError

PAIRS = [(ResNet, EBAResNet)]
BLOCKS = {BasicBlock: EBABasicBlock, Bottleneck: EBABottleneck}


def outcome(fn):
    """('ok', value) or ('raises', exception type) of ``fn()``."""
    try:
        return 'ok', fn()
    except Exception as e:  # noqa: BLE001  (compared with the stock outcome)
        return 'raises', type(e)


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize('args,kwargs', [
    ((20, ), {}),                                          # unknown depth: KeyError
    ((50, ), dict(num_stages=0)),                          # 1 <= num_stages <= 4
    ((50, ), dict(num_stages=5)),
    ((50, ), dict(strides=(1, ), dilations=(1, 1), num_stages=3)),
    ((50, ), dict(style='tensorflow')),
    ((18, ), dict(out_indices=(4, ))),
])
def test_bad_arguments_raise_what_resnet_raises(args, kwargs):
    stock = outcome(lambda: ResNet(*args, **kwargs))
    assert stock[0] == 'raises'
    with pytest.raises(stock[1]):
        EBAResNet(*args, **kwargs)


def test_unknown_depth_is_a_key_error_and_a_value_error_with_a_plain_message():
    with pytest.raises(KeyError) as key_error:
        EBAResNet(20)
    assert isinstance(key_error.value, (ValueError, UnknownDepthError))
    # KeyError would print the message quoted; ours reads as written
    assert str(key_error.value) == ('EBAResNet: unknown depth 20; supported depths are '
                                    '[18, 34, 50, 101, 152].')
    try:  # code written against MMPose's ResNet
        EBAResNet(26)
    except KeyError as e:
        assert 'unknown depth 26' in str(e)


@pytest.mark.parametrize('block,kwargs', [
    (BasicBlock, dict(expansion=2)),      # BasicBlock's expansion must be 1
    (Bottleneck, dict(style='tensorflow')),
    (Bottleneck, dict(expansion=3)),      # out_channels must be divisible by expansion
])
def test_bad_block_arguments_raise_what_the_stock_block_raises(block, kwargs):
    stock = outcome(lambda: block(64, 64, **kwargs))
    assert stock[0] == 'raises'
    with pytest.raises(stock[1]):
        BLOCKS[block](64, 64, **kwargs)


def test_get_expansion_of_our_blocks():
    assert get_expansion(EBABasicBlock) == get_expansion(BasicBlock) == 1
    assert get_expansion(EBABottleneck) == get_expansion(Bottleneck) == 4
    assert get_expansion(EBABottleneck, 2) == 2


# ------------------------------------------------------------------ blocks and layers
def _downsample(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))


BLOCK_CASES = [  # (cin, cout, stride, style, expansion, with_cp)
    (64, 64, 1, 'pytorch', None, False), (64, 128, 1, 'pytorch', None, False),
    (64, 128, 2, 'pytorch', None, False), (64, 64, 1, 'pytorch', None, True)]
BOTTLENECK_ONLY = [(64, 64, 2, 'caffe', None, False), (64, 64, 1, 'pytorch', 2, False)]


@pytest.mark.parametrize('block,cin,cout,stride,style,expansion,with_cp', [
    (block, *case) for block in (BasicBlock, Bottleneck) for case in BLOCK_CASES] + [
    (Bottleneck, *case) for case in BOTTLENECK_ONLY])
def test_blocks_have_the_stock_layout_and_shapes(block, cin, cout, stride, style, expansion,
                                                 with_cp):
    kwargs = dict(stride=stride, with_cp=with_cp)
    if block is Bottleneck:
        kwargs.update(style=style, **(dict(expansion=expansion) if expansion else {}))
    if cin != cout or stride != 1:
        kwargs['downsample'] = _downsample(cin, cout, stride)
    stock, ours = block(cin, cout, **kwargs), BLOCKS[block](cin, cout, **kwargs)
    attrs = ['in_channels', 'mid_channels', 'out_channels', 'with_cp']
    for i in range(1, ours.num_convs + 1):
        conv_s, conv_o = getattr(stock, f'conv{i}'), getattr(ours, f'conv{i}')
        assert (conv_o.in_channels, conv_o.out_channels, conv_o.kernel_size, conv_o.stride) == (
            conv_s.in_channels, conv_s.out_channels, conv_s.kernel_size, conv_s.stride)
    assert [getattr(ours, a) for a in attrs] == [getattr(stock, a) for a in attrs]
    x = torch.randn(2, cin, 16, 16, requires_grad=with_cp)
    assert ours(x).shape == stock(x).shape


LAYER_CASES = [(32, 32, 1, False, None), (32, 64, 1, False, None), (32, 64, 2, False, None),
               (32, 64, 2, True, None)]


@pytest.mark.parametrize('block,cin,cout,stride,avg_down,expansion', [
    (block, *case) for block in (BasicBlock, Bottleneck) for case in LAYER_CASES] + [
    (Bottleneck, 32, 32, 1, False, 2)])
def test_res_layer_of_our_blocks_matches_the_stock_layer(block, cin, cout, stride, avg_down,
                                                         expansion):
    kwargs = dict(stride=stride, avg_down=avg_down,
                  **(dict(expansion=expansion) if expansion else {}))
    stock = ResLayer(block, 3, cin, cout, **kwargs)
    ours = ResLayer(BLOCKS[block], 3, cin, cout, **kwargs)
    assert len(ours) == len(stock) == 3
    for s, o in zip(stock, ours):
        assert (o.in_channels, o.out_channels, o.stride, o.conv1.out_channels) == (
            s.in_channels, s.out_channels, s.stride, s.conv1.out_channels)
        assert (o.downsample is None) == (s.downsample is None)
        if s.downsample is not None:
            assert [type(m) for m in o.downsample] == [type(m) for m in s.downsample]
    x = torch.randn(1, cin, 16, 16)
    assert ours(x).shape == stock(x).shape


# ------------------------------------------------------------------ the backbone
@pytest.mark.parametrize('depth,kwargs,size', [
    (18, dict(out_indices=(0, 1, 2, 3)), 128),
    (50, dict(out_indices=(0, 1, 2, 3)), 128),
    (50, dict(out_indices=(0, 1, 2)), 64),
    (50, dict(out_indices=(3, )), 64),
    (50, dict(out_indices=(0, 1, 2, 3), with_cp=True), 64),
    (50, dict(out_indices=(0, 1, 2, 3), base_channels=32), 64),      # half channel
    (50, dict(out_indices=(0, 1, 2, 3), deep_stem=True, avg_down=True), 64),  # ResNetV1d
])
def test_output_shapes_match_resnet(depth, kwargs, size):
    torch.manual_seed(0)
    stock, ours = ResNet(depth, **kwargs), EBAResNet(depth, **kwargs)
    for model in (stock, ours):
        model.init_weights()
        model.train()
    x = torch.randn(1, 3, size, size, requires_grad=kwargs.get('with_cp', False))
    with torch.no_grad() if not kwargs.get('with_cp') else torch.enable_grad():
        shapes = [tuple(f.shape) for f in ours(x)]
        assert shapes == [tuple(f.shape) for f in stock(x)]
    if kwargs.get('with_cp'):
        assert all(m.with_cp for m in ours.modules() if isinstance(m, (BasicBlock, Bottleneck)))
    if kwargs.get('deep_stem'):
        assert len(ours.stem) == 3 and all(isinstance(m, ConvModule) for m in ours.stem)
        assert ours.stem(x).shape == (1, 64, size // 2, size // 2)


def _norms_training(modules):
    return {m.training for m in modules if isinstance(m, _BatchNorm)}


@pytest.mark.parametrize('init_cfg', [
    None, dict(type='Pretrained', checkpoint='torchvision://resnet50')])
def test_norm_eval_keeps_every_norm_in_eval_mode(init_cfg):
    # built, not initialised: a torchvision init_cfg alone downloads nothing (as in ResNet)
    model = EBAResNet(50, norm_eval=True, init_cfg=init_cfg)
    if init_cfg is None:
        model.init_weights()
    model.train()
    assert _norms_training(model.modules()) == {False}  # incl. the attention's BatchNorm1d


@pytest.mark.parametrize('deep_stem', [False, True])
def test_frozen_stages_freeze_like_resnet(deep_stem):
    for cls in (ResNet, EBAResNet):
        model = cls(50, frozen_stages=1, deep_stem=deep_stem, avg_down=deep_stem)
        model.init_weights()
        model.train()
        stem = [model.stem] if deep_stem else [model.conv1, model.norm1]
        frozen = stem + [model.layer1]
        assert not any(p.requires_grad for m in frozen for p in m.parameters()), cls
        assert _norms_training(m for f in frozen for m in f.modules()) == {False}, cls
        assert all(p.requires_grad for p in model.layer2.parameters()), cls


@pytest.mark.parametrize('zero_init_residual', [True, False])
def test_zero_init_residual_like_resnet(zero_init_residual):
    for depth, norm in ((18, 'norm2'), (50, 'norm3')):
        model = EBAResNet(depth, zero_init_residual=zero_init_residual)
        model.init_weights()
        last_norms = [getattr(m, norm) for m in model.modules()
                      if isinstance(m, (EBABasicBlock, EBABottleneck))]
        zero = [not m.weight.any() and not m.bias.any() for m in last_norms]
        assert all(zero) if zero_init_residual else not any(zero)
