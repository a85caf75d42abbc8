import torch
from mmcv.cnn import build_activation_layer
from mmengine.registry import MODELS
from mmpose.registry import MODELS as MMPOSE_MODELS
from torch import nn

import eba_prnetcc_mmpose.models.layers.activations  # noqa: F401


def test_mish_is_an_mmcv_activation_type():
    act = build_activation_layer(dict(type='Mish'))
    assert type(act) is nn.Mish
    x = torch.linspace(-4, 4, 9)
    torch.testing.assert_close(act(x), x * torch.tanh(torch.log1p(torch.exp(x))))


def test_mish_builds_in_mmpose_scope():
    assert MODELS.get('Mish') is nn.Mish
    assert type(MMPOSE_MODELS.build(dict(type='Mish'))) is nn.Mish
