import pytest
import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer
from torch import nn

from eba_prnetcc_mmpose.models.layers import BridgeAttention


def test_mish_is_an_activation_type():
    act = build_activation_layer(dict(type='Mish'))
    assert isinstance(act, nn.Mish)
    x = torch.linspace(-4, 4, 9)
    torch.testing.assert_close(act(x), x * torch.tanh(torch.log1p(torch.exp(x))))


@pytest.mark.parametrize('in_channels', [[16, 32], [8, 8, 32], [32]])
def test_matches_equations_1_to_3(in_channels):
    att = BridgeAttention(32, in_channels, reduction=4)
    with torch.no_grad():
        for m in att.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.normal_(), m.running_var.uniform_(0.5, 2), m.weight.normal_()
    att.eval()
    feats = [torch.randn(3, c, 5, 7) for c in in_channels]
    s = 0
    for f, sq in zip(feats, att.squeeze):
        lin, bn = sq
        gap = f.mean((2, 3))
        s = s + (lin.weight @ gap.T).T.sub(bn.running_mean).div(
            (bn.running_var + bn.eps).sqrt()).mul(bn.weight).add(bn.bias)
    w = torch.sigmoid(F.mish(s) @ att.excite.weight.T)
    torch.testing.assert_close(att(feats), feats[-1] * w[:, :, None, None])
    assert att.squeezed_channels == 8


def test_weights_in_unit_interval_and_gradients():
    att = BridgeAttention(64, [64, 64])
    feats = [torch.randn(4, 64, 3, 3, requires_grad=True) for _ in range(2)]
    w = att.weights(feats)
    assert w.shape == (4, 64, 1, 1) and (w > 0).all() and (w < 1).all()
    att(feats).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in att.parameters())
    assert all(f.grad is not None for f in feats)


def test_variants_are_settings():
    att = BridgeAttention(64, [64], reduction=8, act_cfg=dict(type='ReLU'), norm_cfg=None)
    assert isinstance(att.act, nn.ReLU) and att.squeezed_channels == 8
    assert len(att.squeeze[0]) == 1 and att.squeeze[0][0].bias is not None


def test_errors():
    with pytest.raises(ValueError, match=r'in_channels\[-1\] \(16\) must equal channels \(32\)'):
        BridgeAttention(32, [32, 16])
    with pytest.raises(ValueError, match='at least one'):
        BridgeAttention(32, [])
    att = BridgeAttention(32, [32, 32])
    with pytest.raises(ValueError, match='built for 2 bridged feature maps but got 1'):
        att([torch.randn(2, 32, 4, 4)])


def test_training_batch_of_one_uses_running_statistics():
    att = BridgeAttention(32, [16, 32], reduction=4)
    feats = [torch.randn(1, 16, 4, 4), torch.randn(1, 32, 4, 4)]
    att.train()
    before = [m.running_mean.clone() for m in att.modules() if isinstance(m, nn.BatchNorm1d)]
    out = att(feats)  # plain BatchNorm1d raises "Expected more than 1 value per channel"
    att.eval()
    torch.testing.assert_close(out, att(feats))
    after = [m.running_mean for m in att.modules() if isinstance(m, nn.BatchNorm1d)]
    assert all(torch.equal(a, b) for a, b in zip(before, after))
    att.train()
    out.sum().backward()
    assert att.excite.weight.grad is not None
