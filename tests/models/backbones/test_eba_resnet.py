"""EBAResNet and its blocks: the paper's attention (hand computation, parameter count), and
MMPose's own ResNet tests (tests/test_models/test_backbones/test_resnet.py of open-mmlab/mmpose)
run on the stock class and ours side by side."""
import inspect

import pytest
import torch
import torch.nn.functional as F
import torchvision
from mmpose.models.backbones import ResNet
from mmpose.models.backbones.resnet import BasicBlock, Bottleneck, ResLayer, get_expansion
from mmpose.registry import MODELS
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from eba_prnetcc_mmpose.models.backbones import EBABasicBlock, EBABottleneck, EBAResNet

OURS = {BasicBlock: EBABasicBlock, Bottleneck: EBABottleneck}
STAGE_BLOCKS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3)}
RELU = dict(type='ReLU', inplace=True)


def attention_params(depth, r=16):
    """Hand count of the bridge attention: per block, squeeze Linear + BN1d per map, excite."""
    total = 0
    for width, n in zip((64, 128, 256, 512), STAGE_BLOCKS[depth]):
        c = width if depth < 50 else 4 * width
        bridged = [width, c] if depth < 50 else [width, width, c]
        total += n * (sum(ci * (c // r) + 2 * (c // r) for ci in bridged) + (c // r) * c)
    return total


class PassThrough(nn.Module):
    """Attention switched off: the block's last map unchanged."""

    def forward(self, feats):
        return feats[-1]


def randomise(model):
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) + 0.5 if 'running_var' in name
                        else torch.randn_like(t) * 0.1)


# ------------------------------------------------------------------ the paper's attention
@pytest.mark.parametrize('depth', [18, 34, 50])
def test_extra_parameters_match_hand_count(depth):
    extra = (sum(p.numel() for p in EBAResNet(depth).parameters())
             - sum(p.numel() for p in ResNet(depth).parameters()))
    assert extra == attention_params(depth)
    assert round(extra / 1e6, 2) == {18: 0.13, 34: 0.24, 50: 3.15}[depth]  # design.md §2


@pytest.mark.parametrize('act', ['Mish', 'ReLU'])
def test_basic_block_matches_hand_written_reference(act):
    block = EBABasicBlock(32, 32, attention_cfg=dict(reduction=4), act_cfg=dict(type=act))
    randomise(block)
    block.eval()
    x = torch.randn(2, 32, 8, 8)
    act_fn = F.mish if act == 'Mish' else F.relu
    f1 = act_fn(block.norm1(block.conv1(x)))
    f2 = block.norm2(block.conv2(f1))
    s = sum(bn(linear(f.mean((2, 3))))
            for f, (linear, bn) in zip((f1, f2), block.attention.squeeze))
    w = torch.sigmoid(block.attention.excite(F.mish(s)))       # attention act: Mish (default)
    torch.testing.assert_close(block(x), act_fn(f2 * w[:, :, None, None] + x))


@pytest.mark.parametrize('depth,num_bridged,in_channels', [
    (50, None, [64, 64, 256]), (50, 2, [64, 256]), (50, 1, [256]), (18, None, [64, 64]),
    (18, 1, [64])])
def test_num_bridged_selects_the_last_conv_outputs(depth, num_bridged, in_channels):
    assert EBAResNet(depth, num_bridged=num_bridged).layer1[0].attention.in_channels == in_channels


@pytest.mark.parametrize('depth,num_bridged,error', [
    (18, 3, ValueError), (50, 4, ValueError), (18, 0, ValueError), (50, 0, ValueError),
    (18, -1, ValueError), (18, 1.0, TypeError), (18, '2', TypeError), (18, True, TypeError)])
def test_num_bridged_other_than_none_or_a_conv_count_is_an_error(depth, num_bridged, error):
    """Only None means all convs; 0 used to bridge all of them silently."""
    with pytest.raises(error, match='num_bridged must be .*None'):
        EBAResNet(depth, num_bridged=num_bridged)


@pytest.mark.parametrize('norm_cfg', [dict(type='BN1d'), dict(type='LN'),
                                      dict(type='GN', num_groups=2), None])
def test_attention_norms_that_take_vectors_train_and_run(norm_cfg):
    model = EBAResNet(18, attention_norm_cfg=norm_cfg, zero_init_residual=False)
    model(torch.randn(2, 3, 32, 32))[-1].sum().backward()
    model.eval()
    assert model(torch.randn(1, 3, 32, 32))[-1].shape == (1, 512, 1, 1)


@pytest.mark.parametrize('norm_type', ['BN', 'BN2d', 'BN3d', 'IN', 'IN1d'])
def test_attention_norm_of_maps_is_a_build_error_naming_the_working_types(norm_type):
    """``BN`` is MMCV's BatchNorm2d: it used to build and fail in forward on 2D input."""
    with pytest.raises(ValueError, match=f'attention_norm_cfg.*BN1d, SyncBN, LN or GN.*'
                                         f"'{norm_type}'"):
        EBAResNet(18, attention_norm_cfg=dict(type=norm_type))


@pytest.mark.parametrize('depth,kwargs,width', [
    (18, dict(base_channels=8), 8), (50, dict(base_channels=2), 8),
    (50, dict(base_channels=2, expansion=2), 4), (18, dict(reduction=0), 64),
    (18, dict(reduction=65), 64)])
def test_reduction_wider_than_the_first_stage_names_the_fix(depth, kwargs, width):
    with pytest.raises(ValueError, match=rf'EBAResNet\(reduction={kwargs.get("reduction", 16)}'
                                         rf'\) must be in \[1, {width}\].*base_channels'):
        EBAResNet(depth, **kwargs)


def test_reduction_up_to_the_first_stage_width_builds():
    model = EBAResNet(18, base_channels=8, reduction=8)
    assert model.layer1[0].attention.excite.in_features == 1


def test_non_int_reduction_is_a_type_error():
    with pytest.raises(TypeError, match='reduction must be an int'):
        EBAResNet(18, reduction=4.0)


# ------------------------------------------------------------------ drop-in for ResNet's signature
# a value other than the default for every positional parameter of ResNet / the blocks
RESNET_ARGS = dict(
    depth=50, in_channels=1, stem_channels=32, base_channels=32, expansion=2, num_stages=3,
    strides=(1, 2, 1), dilations=(1, 1, 2), out_indices=(0, 2), style='caffe', deep_stem=True,
    avg_down=True, frozen_stages=1, conv_cfg=dict(type='Conv2d'),
    norm_cfg=dict(type='BN', eps=1e-3, requires_grad=False), norm_eval=True, with_cp=True,
    zero_init_residual=False, init_cfg=dict(type='Kaiming', layer='Conv2d'))


def block_args(block):
    return dict(in_channels=16, out_channels=32, expansion=1 if block is BasicBlock else 2,
                stride=2, dilation=2, downsample=_downsample(16, 32, 2), style='caffe',
                with_cp=True, conv_cfg=dict(type='Conv2d'), norm_cfg=dict(type='BN', eps=1e-3),
                init_cfg=dict(type='Kaiming', layer='Conv2d'))


def positional_names(cls):
    return [n for n, p in inspect.signature(cls.__init__).parameters.items()
            if n != 'self' and p.kind == p.POSITIONAL_OR_KEYWORD]


def layout(model):
    """What the stock arguments decide: the plain attributes, and the type, settings,
    ``requires_grad`` and mode of every leaf module outside the attention."""
    attrs = {k: v for k, v in vars(model).items() if not k.startswith('_')
             and isinstance(v, (bool, int, float, str, tuple, list, dict, type(None)))}
    leaves = {n: (type(m).__name__, m.extra_repr(), m.training,
                  [p.requires_grad for p in m.parameters(recurse=False)])
              for n, m in model.named_modules() if 'attention' not in n and not any(m.children())}
    return attrs, leaves


def assert_same_layout(stock, ours):
    (stock_attrs, stock_leaves), (our_attrs, our_leaves) = layout(stock), layout(ours)
    assert {k: our_attrs.get(k) for k in stock_attrs} == stock_attrs
    assert our_leaves == stock_leaves


def test_the_table_covers_every_positional_parameter_of_resnet_and_the_blocks():
    assert list(RESNET_ARGS) == positional_names(ResNet)
    assert positional_names(EBAResNet) == ['depth']  # the rest go through *args
    for block in (BasicBlock, Bottleneck):
        assert list(block_args(block)) == positional_names(block)


@pytest.mark.parametrize('cls', [EBAResNet, EBABasicBlock, EBABottleneck])
def test_own_arguments_are_keyword_only(cls):
    params = inspect.signature(cls.__init__).parameters.values()
    own = [p.name for p in params if p.kind == p.KEYWORD_ONLY]
    assert set(own) >= {'num_bridged', 'act_cfg'}
    kinds = [p.kind for p in params if p.name not in own]
    assert kinds[-2:] == [inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD]


def test_second_positional_argument_is_in_channels_as_in_resnet():
    assert EBAResNet(18, 1).conv1.in_channels == ResNet(18, 1).conv1.in_channels == 1


@pytest.mark.parametrize('k', range(1, len(RESNET_ARGS) + 1))
def test_first_k_arguments_positional_build_what_resnet_builds(k):
    """Every positional slot means what it means to ResNet (checked against ResNet itself)."""
    values, names = list(RESNET_ARGS.values()), list(RESNET_ARGS)
    rest = {n: RESNET_ARGS[n] for n in names[k:]}
    assert_same_layout(ResNet(*values[:k], **rest), EBAResNet(*values[:k], **rest, act_cfg=RELU))


@pytest.mark.parametrize('block', [BasicBlock, Bottleneck])
@pytest.mark.parametrize('k', range(1, 12))
def test_first_k_block_arguments_positional_build_what_the_stock_block_builds(block, k):
    values, names = list(block_args(block).values()), list(block_args(block))
    rest = {n: v for n, v in zip(names[k:], values[k:])}
    assert_same_layout(block(*values[:k], **rest), OURS[block](*values[:k], **rest))


def test_one_positional_argument_too_many_raises_what_resnet_raises():
    args = list(RESNET_ARGS.values()) + [None]
    with pytest.raises(TypeError) as stock:
        ResNet(*args)
    with pytest.raises(TypeError, match=r'positional argument'):
        EBAResNet(*args)
    assert 'positional argument' in str(stock.value)


@pytest.mark.parametrize('depth', [18, 50])
def test_with_attention_passed_through_it_is_mmpose_resnet(depth):
    """Same weights, attention off, ReLU trunk: our blocks compute exactly ResNet's."""
    stock, ours = ResNet(depth, out_indices=(0, 1, 2, 3)), EBAResNet(
        depth, out_indices=(0, 1, 2, 3), act_cfg=RELU)
    randomise(stock)
    missing, unexpected = ours.load_state_dict(stock.state_dict(), strict=False)
    assert not unexpected and all('.attention.' in k for k in missing)
    for block in ours.modules():
        if isinstance(block, (EBABasicBlock, EBABottleneck)):
            block.attention = PassThrough()
    stock.eval(), ours.eval()
    x = torch.randn(2, 3, 64, 64)
    for a, b in zip(stock(x), ours(x)):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize('depth,act', [(18, 'Mish'), (34, 'ReLU'), (50, 'Mish')])
def test_forward_backward_every_parameter_gets_gradient(depth, act):
    # zero_init_residual zeroes each block's last BN: the attention would get no gradient yet
    model = EBAResNet(depth, act_cfg=dict(type=act), zero_init_residual=False)
    model.init_weights()
    model.train()
    model(torch.randn(2, 3, 64, 64))[-1].square().mean().backward()
    assert [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()] == []


@pytest.mark.parametrize('act,cls', [('Mish', nn.Mish), ('ReLU', nn.ReLU)])
@pytest.mark.parametrize('deep_stem', [False, True])
def test_trunk_activation_is_a_setting(act, cls, deep_stem):
    model = EBAResNet(18, act_cfg=dict(type=act), attention_act_cfg=dict(type='ReLU'),
                      deep_stem=deep_stem)
    stem = [m.activate for m in model.stem] if deep_stem else [model.relu]
    assert all(isinstance(m, cls) for m in stem)
    blocks = [b for b in model.modules() if isinstance(b, EBABasicBlock)]
    assert len(blocks) == 8 and all(isinstance(b.relu, cls) for b in blocks)
    assert all(isinstance(b.attention.act, nn.ReLU) for b in blocks)


def test_with_cp_gives_the_same_output_and_gradients():
    plain = EBAResNet(18, zero_init_residual=False)
    cp = EBAResNet(18, with_cp=True, zero_init_residual=False)
    cp.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 64, 64, requires_grad=True)
    y1, y2 = plain(x)[-1], cp(x)[-1]
    torch.testing.assert_close(y1, y2)
    y1.sum().backward(), y2.sum().backward()
    for a, b in zip(plain.parameters(), cp.parameters()):
        torch.testing.assert_close(a.grad, b.grad)


# ------------------------------------------------------------------ MMPose's ResNet tests
@pytest.mark.parametrize('args,kwargs', [
    ((20, ), {}),                                          # unknown depth: KeyError
    ((50, ), dict(num_stages=0)),
    ((50, ), dict(num_stages=5)),
    ((50, ), dict(strides=(1, ), dilations=(1, 1), num_stages=3)),
    ((50, ), dict(style='tensorflow')),
    ((18, ), dict(out_indices=(4, ))),
])
def test_bad_arguments_raise_what_resnet_raises(args, kwargs):
    with pytest.raises(Exception) as stock:
        ResNet(*args, **kwargs)
    with pytest.raises(type(stock.value)):
        EBAResNet(*args, **kwargs)


def test_unknown_depth_is_a_key_error_naming_the_depth():
    with pytest.raises(KeyError, match='depth 20'):
        EBAResNet(20)


@pytest.mark.parametrize('block,kwargs', [
    (BasicBlock, dict(expansion=2)), (Bottleneck, dict(style='tensorflow')),
    (Bottleneck, dict(expansion=3))])
def test_bad_block_arguments_raise_what_the_stock_block_raises(block, kwargs):
    with pytest.raises(Exception) as stock:
        block(64, 64, **kwargs)
    with pytest.raises(type(stock.value)):
        OURS[block](64, 64, **kwargs)


def test_get_expansion_of_our_blocks():
    assert get_expansion(EBABasicBlock) == get_expansion(BasicBlock) == 1
    assert get_expansion(EBABottleneck) == get_expansion(Bottleneck) == 4
    assert get_expansion(EBABottleneck, 2) == 2


def _downsample(cin, cout, stride):
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))


@pytest.mark.parametrize('block,cin,cout,kwargs', [
    (b, cin, cout, kw) for b in (BasicBlock, Bottleneck) for cin, cout, kw in [
        (64, 64, {}), (64, 128, {}), (64, 128, dict(stride=2)), (64, 64, dict(with_cp=True))]
] + [(Bottleneck, 64, 64, dict(stride=2, style='caffe')), (Bottleneck, 64, 64, dict(expansion=2))])
# MMPose's own blocks call torch's checkpoint without use_reentrant (ours pass False)
@pytest.mark.filterwarnings('ignore:torch.utils.checkpoint. the use_reentrant:UserWarning')
def test_blocks_have_the_stock_layout_and_shapes(block, cin, cout, kwargs):
    if cin != cout or kwargs.get('stride', 1) != 1:
        kwargs = dict(kwargs, downsample=_downsample(cin, cout, kwargs.get('stride', 1)))
    stock, ours = block(cin, cout, **kwargs), OURS[block](cin, cout, **kwargs)
    for attr in ('in_channels', 'mid_channels', 'out_channels', 'stride', 'with_cp'):
        assert getattr(ours, attr) == getattr(stock, attr), attr
    for i in range(1, ours.num_convs + 1):
        s, o = getattr(stock, f'conv{i}'), getattr(ours, f'conv{i}')
        assert (o.in_channels, o.out_channels, o.kernel_size, o.stride) == (
            s.in_channels, s.out_channels, s.kernel_size, s.stride)
    x = torch.randn(1, cin, 16, 16, requires_grad=kwargs.get('with_cp', False))
    assert ours(x).shape == stock(x).shape


@pytest.mark.parametrize('block', [BasicBlock, Bottleneck])
@pytest.mark.parametrize('cin,cout,kwargs', [
    (32, 32, {}), (32, 64, {}), (32, 64, dict(stride=2)), (32, 64, dict(stride=2, avg_down=True))])
def test_res_layer_of_our_blocks_matches_the_stock_layer(block, cin, cout, kwargs):
    stock, ours = ResLayer(block, 3, cin, cout, **kwargs), ResLayer(OURS[block], 3, cin, cout,
                                                                    **kwargs)
    assert len(ours) == len(stock) == 3
    for s, o in zip(stock, ours):
        assert (o.in_channels, o.out_channels, o.stride, o.conv1.out_channels) == (
            s.in_channels, s.out_channels, s.stride, s.conv1.out_channels)
        assert [type(m) for m in o.downsample or []] == [type(m) for m in s.downsample or []]
    x = torch.randn(1, cin, 16, 16)
    assert ours(x).shape == stock(x).shape


@pytest.mark.parametrize('depth,kwargs', [
    (18, dict(out_indices=(0, 1, 2, 3))),
    (34, dict(out_indices=(3, ))),
    (50, dict(out_indices=(0, 1, 2))),
    (50, dict(out_indices=(0, 1, 2, 3), base_channels=32)),
    (50, dict(out_indices=(0, 1, 2, 3), deep_stem=True, avg_down=True)),  # ResNetV1d
    (50, dict(out_indices=(0, 3), strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2))),
])
def test_built_by_registry_with_resnet_output_shapes(depth, kwargs):
    ours = MODELS.build(dict(type='EBAResNet', depth=depth, **kwargs))
    stock = ResNet(depth, **kwargs)
    assert isinstance(ours, ResNet)
    ours.eval(), stock.eval()
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        assert [f.shape for f in ours(x)] == [f.shape for f in stock(x)]
    block = EBABasicBlock if depth < 50 else EBABottleneck
    assert sum(isinstance(m, block) for m in ours.modules()) == sum(STAGE_BLOCKS[depth])


def _norms_training(modules):
    return {m.training for m in modules if isinstance(m, _BatchNorm)}


def test_norm_eval_keeps_every_norm_in_eval_mode_incl_the_attention():
    model = EBAResNet(18, norm_eval=True)
    model.train()
    assert _norms_training(model.modules()) == {False}
    assert any(isinstance(m, nn.BatchNorm1d) for m in model.modules())


@pytest.mark.parametrize('deep_stem', [False, True])
def test_frozen_stages_freeze_like_resnet(deep_stem):
    for cls in (ResNet, EBAResNet):
        model = cls(18, frozen_stages=1, deep_stem=deep_stem, avg_down=deep_stem)
        model.train()
        frozen = ([model.stem] if deep_stem else [model.conv1, model.norm1]) + [model.layer1]
        assert not any(p.requires_grad for m in frozen for p in m.parameters()), cls
        assert _norms_training(m for f in frozen for m in f.modules()) == {False}, cls
        assert all(p.requires_grad for p in model.layer2.parameters()), cls


@pytest.mark.parametrize('zero_init_residual', [True, False])
@pytest.mark.parametrize('depth,norm', [(18, 'norm2'), (50, 'norm3')])
def test_zero_init_residual_like_resnet(zero_init_residual, depth, norm):
    model = EBAResNet(depth, zero_init_residual=zero_init_residual)
    model.init_weights()
    last = [getattr(m, norm) for m in model.modules()
            if isinstance(m, (EBABasicBlock, EBABottleneck))]
    zero = [not m.weight.any() and not m.bias.any() for m in last]
    assert all(zero) if zero_init_residual else not any(zero)


# ------------------------------------------------------------------ pretrained weights
@pytest.mark.parametrize('depth', [18, 50])
def test_pretrained_init_cfg_loads_a_torchvision_checkpoint(tmp_path, captured_log, depth):
    net = getattr(torchvision.models, f'resnet{depth}')(weights=None)
    randomise(net)
    path = tmp_path / 'resnet.pth'
    torch.save(net.state_dict(), path)
    model = EBAResNet(depth, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    own = model.state_dict()
    for key, value in net.state_dict().items():
        if not key.startswith('fc.'):
            torch.testing.assert_close(own[key], value, msg=key)
    text = '\n'.join(r.getMessage() for r in captured_log)
    assert 'unexpected key in source state_dict: fc.weight, fc.bias' in text
    missing = text.split('missing keys in source state_dict: ')[1].split('\n')[0].split(', ')
    assert sorted(missing) == sorted(k for k in own if '.attention.' in k
                                     and 'num_batches_tracked' not in k)


def test_pretrained_init_cfg_with_prefix_loads_a_pose_model_backbone(tmp_path):
    src = EBAResNet(18)
    randomise(src)
    path = tmp_path / 'pose_model.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in src.state_dict().items()},
                'meta': {}}, path)
    dst = EBAResNet(18, init_cfg=dict(type='Pretrained', checkpoint=str(path),
                                      prefix='backbone.'))
    dst.init_weights()
    for key, value in src.state_dict().items():
        torch.testing.assert_close(dst.state_dict()[key], value, msg=key)
