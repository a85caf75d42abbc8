import pytest
import torch
import torch.nn.functional as F
from torch import nn

from eba_prnetcc_mmpose.models.layers import BridgeAttention


def randomise_norms(att):
    with torch.no_grad():
        for m in att.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.normal_(), m.running_var.uniform_(0.5, 2)
                m.weight.normal_(), m.bias.normal_()


@pytest.mark.parametrize('in_channels', [[16, 32], [8, 8, 32], [32], None])
@pytest.mark.parametrize('act', ['Mish', 'ReLU'])
def test_matches_equations_1_to_3(in_channels, act):
    att = BridgeAttention(32, in_channels, reduction=4, act_cfg=dict(type=act))
    randomise_norms(att)
    att.eval()
    feats = [torch.randn(3, c, 5, 7) for c in in_channels or [32]]
    integrated = 0
    for f, (linear, bn) in zip(feats, att.squeeze):
        s = f.mean((2, 3)) @ linear.weight.T                                      # eq. 1
        integrated = integrated + (s - bn.running_mean) / (bn.running_var + bn.eps).sqrt() \
            * bn.weight + bn.bias                                                 # eq. 2
    act_fn = F.mish if act == 'Mish' else F.relu
    w = torch.sigmoid(act_fn(integrated) @ att.excite.weight.T)                   # eq. 3
    torch.testing.assert_close(att(feats), feats[-1] * w[:, :, None, None])
    assert att.excite.weight.shape == (32, 8) and att.excite.bias is None


def test_forward_backward_every_parameter_gets_gradient():
    att = BridgeAttention(64, [32, 64])
    feats = [torch.randn(4, c, 3, 3, requires_grad=True) for c in (32, 64)]
    out = att(feats)
    assert out.shape == feats[-1].shape
    ratio = out / feats[-1]  # the weights: in (0, 1), one per sample and channel
    assert ((ratio > 0) & (ratio < 1)).all() and torch.allclose(ratio, ratio[..., :1, :1])
    out.square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in att.parameters())
    assert all(f.grad.abs().sum() > 0 for f in feats)


def test_without_norm_the_squeeze_has_a_bias():
    att = BridgeAttention(64, [64], reduction=8, norm_cfg=None)
    (linear, ) = att.squeeze[0]
    assert linear.bias is not None and linear.out_features == 8
    assert not any(isinstance(m, nn.BatchNorm1d) for m in att.modules())


@pytest.mark.parametrize('kwargs,setting', [
    (dict(in_channels=[32, 16]), 'in_channels'),
    (dict(reduction=0), 'reduction'),
    (dict(reduction=64), 'reduction'),  # C // r = 0
])
def test_bad_settings_name_the_setting(kwargs, setting):
    with pytest.raises(ValueError, match=setting):
        BridgeAttention(32, **kwargs)


@pytest.mark.parametrize('reduction', [4.0, '4', True, None])
def test_non_int_reduction_is_a_type_error(reduction):
    with pytest.raises(TypeError, match='reduction must be an int'):
        BridgeAttention(32, reduction=reduction)


@pytest.mark.parametrize('norm_cfg,cls', [
    (dict(type='BN1d'), nn.BatchNorm1d), (dict(type='SyncBN'), nn.SyncBatchNorm),
    (dict(type='LN'), nn.LayerNorm), (dict(type='GN', num_groups=2), nn.GroupNorm)])
def test_norms_of_vectors_build(norm_cfg, cls):
    att = BridgeAttention(32, [16, 32], reduction=4, norm_cfg=norm_cfg)
    assert len(att.squeeze) == 2 and all(isinstance(s[1], cls) for s in att.squeeze)
    if cls is not nn.SyncBatchNorm:  # that one runs under DDP only
        feats = [torch.randn(2, 16, 4, 4), torch.randn(2, 32, 4, 4)]
        assert att(feats).shape == att.eval()(feats).shape == (2, 32, 4, 4)


@pytest.mark.parametrize('norm_type', ['BN', 'BN2d', 'BN3d', 'IN', 'IN1d', 'IN2d'])
def test_norm_of_maps_is_a_build_error_naming_the_working_types(norm_type):
    with pytest.raises(ValueError, match=f"norm_cfg .*BN1d, SyncBN, LN or GN.*'{norm_type}'"):
        BridgeAttention(32, norm_cfg=dict(type=norm_type))


def test_wrong_number_of_maps_raises():
    with pytest.raises(ValueError):
        BridgeAttention(32, [32, 32])([torch.randn(2, 32, 4, 4)])


def test_training_batch_of_one_uses_running_statistics():
    att = BridgeAttention(32, [16, 32], reduction=4)
    randomise_norms(att)
    feats = [torch.randn(1, 16, 4, 4), torch.randn(1, 32, 4, 4)]
    before = [m.running_mean.clone() for m in att.modules() if isinstance(m, nn.BatchNorm1d)]
    att.train()
    out = att(feats)  # a plain BatchNorm1d raises "Expected more than 1 value per channel"
    out.sum().backward()
    assert att.excite.weight.grad.abs().sum() > 0
    after = [m.running_mean for m in att.modules() if isinstance(m, nn.BatchNorm1d)]
    assert all(torch.equal(a, b) for a, b in zip(before, after))
    att.eval()
    torch.testing.assert_close(out, att(feats))
