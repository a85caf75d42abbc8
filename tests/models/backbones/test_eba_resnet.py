import pickle

import pytest
import torch
import torch.nn.functional as F
from mmpose.models.backbones import ResNet
from mmpose.registry import MODELS
from torch import nn

from eba_prnetcc_mmpose.models.backbones import EBABasicBlock, EBABottleneck, EBAResNet

STAGE_CHANNELS = (64, 128, 256, 512)
BLOCKS = {18: (2, 2, 2, 2), 34: (3, 4, 6, 3), 50: (3, 4, 6, 3), 101: (3, 4, 23, 3),
          152: (3, 8, 36, 3)}


def attention_params(depth: int, r: int = 16) -> int:
    """Hand count of the bridge-attention parameters (squeeze Linear + BN1d, excite Linear)."""
    total = 0
    for width, n in zip(STAGE_CHANNELS, BLOCKS[depth]):
        if depth < 50:
            c, bridged = width, [width, width]
        else:
            c, bridged = 4 * width, [width, width, 4 * width]
        s = c // r
        total += n * (sum(ci * s + 2 * s for ci in bridged) + s * c)
    return total


@pytest.mark.parametrize('depth', [18, 34, 50, 101, 152])
def test_shapes_and_registry(depth):
    model = MODELS.build(dict(type='EBAResNet', depth=depth, out_indices=(0, 1, 2, 3)))
    assert isinstance(model, EBAResNet) and isinstance(model, ResNet)
    model.eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 96))
    expansion = 1 if depth < 50 else 4
    assert [tuple(o.shape) for o in outs] == [
        (1, c * expansion, 64 // s, 96 // s) for c, s in zip(STAGE_CHANNELS, (4, 8, 16, 32))]
    block = EBABasicBlock if depth < 50 else EBABottleneck
    blocks = [m for m in model.modules() if isinstance(m, block)]
    assert len(blocks) == sum(BLOCKS[depth])  # attention in every residual block


@pytest.mark.parametrize('depth', [18, 34, 50])
def test_extra_parameters_match_hand_count(depth):
    eba = EBAResNet(depth)
    stock = ResNet(depth)
    extra = sum(p.numel() for p in eba.parameters()) - sum(p.numel() for p in stock.parameters())
    assert extra == attention_params(depth)
    # design.md's hand count: +0.13 M (R18), +0.24 M (R34), +3.2 M (R50, 3.15 unrounded)
    assert round(extra / 1e6, 2) == {18: 0.13, 34: 0.24, 50: 3.15}[depth]


@pytest.mark.parametrize('depth,act', [(18, 'Mish'), (34, 'ReLU'), (50, 'Mish')])
def test_forward_backward_every_parameter_gets_gradient(depth, act):
    # zero_init_residual zeroes the last BN of each block, which would (correctly) give the
    # attention a zero gradient on the first step; switch it off to see every path.
    model = EBAResNet(depth, act_cfg=dict(type=act), zero_init_residual=False)
    model.init_weights()
    model.train()
    out = model(torch.randn(2, 3, 64, 64))[-1]
    out.square().mean().backward()
    dead = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum()]
    assert dead == []


def test_block_matches_hand_written_reference():
    block = EBABasicBlock(32, 32, attention_cfg=dict(reduction=4), act_cfg=dict(type='Mish'))
    with torch.no_grad():
        for p in block.parameters():
            p.normal_(0, 0.3)
    block.eval()
    x = torch.randn(2, 32, 8, 8)
    att = block.attention
    f1 = F.mish(block.norm1(block.conv1(x)))
    f2 = block.norm2(block.conv2(f1))
    s1 = att.squeeze[0][1](att.squeeze[0][0](f1.mean((2, 3))))  # BN(W1 GAP(F1))   eq. 1
    s2 = att.squeeze[1][1](att.squeeze[1][0](f2.mean((2, 3))))
    w = torch.sigmoid(att.excite(F.mish(s1 + s2)))               # eq. 2-3
    expected = F.mish(f2 * w[:, :, None, None] + x)
    torch.testing.assert_close(block(x), expected)


def test_bottleneck_bridges_three_maps_and_num_bridged_one_is_se():
    model = EBAResNet(50, num_bridged=None)
    block = model.layer1[0]
    assert block.attention.in_channels == [64, 64, 256]
    se = EBAResNet(50, num_bridged=1).layer1[0]
    assert se.attention.in_channels == [256]
    with pytest.raises(ValueError, match='num_bridged'):
        EBAResNet(18, num_bridged=3)


@pytest.mark.parametrize('act,cls', [('Mish', nn.Mish), ('ReLU', nn.ReLU)])
def test_trunk_activation_is_a_setting(act, cls):
    model = EBAResNet(18, act_cfg=dict(type=act), attention_act_cfg=dict(type='ReLU'))
    assert isinstance(model.relu, cls)
    assert all(isinstance(b.relu, cls) for b in model.modules() if isinstance(b, EBABasicBlock))
    assert isinstance(model.layer1[0].attention.act, nn.ReLU)
    deep = EBAResNet(18, deep_stem=True, act_cfg=dict(type=act))
    assert all(isinstance(m.activate, cls) for m in deep.stem)


def test_with_cp_gives_same_output_and_gradients():
    torch.manual_seed(0)
    plain = EBAResNet(18, zero_init_residual=False)
    cp = EBAResNet(18, with_cp=True, zero_init_residual=False)
    cp.load_state_dict(plain.state_dict())
    plain.eval(), cp.eval()
    x = torch.randn(1, 3, 64, 64, requires_grad=True)
    y1, y2 = plain(x)[-1], cp(x)[-1]
    torch.testing.assert_close(y1, y2)
    y1.sum().backward(), y2.sum().backward()
    torch.testing.assert_close(plain.layer1[0].attention.excite.weight.grad,
                               cp.layer1[0].attention.excite.weight.grad)


def test_frozen_stages_and_norm_eval_are_stock_behaviour():
    model = EBAResNet(18, frozen_stages=1, norm_eval=True)
    model.train()
    assert not any(p.requires_grad for p in model.layer1.parameters())
    assert all(p.requires_grad for p in model.layer2.parameters())
    assert not model.layer3[0].attention.squeeze[0][1].training  # BN1d follows norm_eval


def test_unknown_depth_is_a_clear_error():  # also a KeyError: test_resnet_contract.py
    with pytest.raises(ValueError, match=r'unknown depth 20.*\[18, 34, 50, 101, 152\]'):
        EBAResNet(20)


# ---------------------------------------------------------------- pretrained weights
def torchvision_checkpoint(tmp_path, depth):
    import torchvision
    net = getattr(torchvision.models, f'resnet{depth}')(weights=None)
    path = tmp_path / f'resnet{depth}_torchvision.pth'
    torch.save(net.state_dict(), path)
    return path, net.state_dict()


def test_loads_torchvision_checkpoint_and_reports_new_attention(tmp_path, captured_log):
    path, tv_state = torchvision_checkpoint(tmp_path, 34)
    model = EBAResNet(34, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    own = model.state_dict()
    for key, value in tv_state.items():
        if not key.startswith('fc.'):
            torch.testing.assert_close(own[key], value, msg=key)
    messages = [r.getMessage() for r in captured_log]
    summary = [m for m in messages if 'newly initialised' in m]
    assert len(summary) == 1
    n_att = sum(1 for k in own if '.attention.' in k)
    assert f'{n_att} bridge-attention tensors' in summary[0] and '(fc)' in summary[0]
    assert not any('missing keys' in m for m in messages)


def test_loads_backbone_of_a_whole_model_checkpoint_with_prefix(tmp_path):
    src = EBAResNet(18)
    path = tmp_path / 'pose_model.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in src.state_dict().items()},
                'meta': {}}, path)
    dst = EBAResNet(18, init_cfg=dict(type='Pretrained', checkpoint=str(path),
                                      prefix='backbone.'))
    dst.init_weights()
    for key, value in src.state_dict().items():
        torch.testing.assert_close(dst.state_dict()[key], value)


def test_wrong_depth_checkpoint_fails_naming_both_depths(tmp_path):
    path, _ = torchvision_checkpoint(tmp_path, 18)
    model = EBAResNet(34, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(ValueError, match=r'EBAResNet-34 .*ResNet-18 trunk.*depth=18'):
        model.init_weights()
    path50, _ = torchvision_checkpoint(tmp_path, 50)
    with pytest.raises(ValueError, match='ResNet-50 trunk'):
        EBAResNet(34).load_pretrained(str(path50))


def test_missing_and_broken_checkpoints_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='not found.*init_cfg'):
        EBAResNet(18).load_pretrained(str(tmp_path / 'nope.pth'))
    broken = tmp_path / 'broken.pth'
    path, _ = torchvision_checkpoint(tmp_path, 18)
    broken.write_bytes(path.read_bytes()[:1000])  # truncated download
    # the restricted loader's CorruptCheckpointError (an UnpicklingError) passes through
    with pytest.raises(pickle.UnpicklingError, match='damaged or not a PyTorch checkpoint'):
        EBAResNet(18).load_pretrained(str(broken))
    other = tmp_path / 'other.pth'
    torch.save({'encoder.weight': torch.zeros(3)}, other)
    with pytest.raises(ValueError, match='no ResNet trunk keys'):
        EBAResNet(18).load_pretrained(str(other))


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network and an empty torch hub cache: MMEngine's downloads fail as they do offline."""
    import urllib.error

    import mmengine.runner.checkpoint as mm_ckpt

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError('[Errno -3] Temporary failure in name resolution')

    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    monkeypatch.setattr(mm_ckpt, 'load_from_http', no_network)  # torchvision:// goes through it


@pytest.mark.parametrize('checkpoint,url', [
    ('torchvision://resnet18', 'https://download.pytorch.org/models/resnet18'),
    ('http://127.0.0.1:9/resnet18.pth', None),  # connection refused: a real failed download
])
def test_failed_download_says_so_and_how_to_go_on(offline, checkpoint, url):
    model = EBAResNet(18, init_cfg=dict(type='Pretrained', checkpoint=checkpoint))
    with pytest.raises(ConnectionError) as err:
        model.init_weights()
    msg = str(err.value)
    assert f'downloading the pretrained checkpoint {checkpoint!r}' in msg and 'failed' in msg
    assert 'model.backbone.init_cfg=None' in msg and 'local copy' in msg
    assert 'damaged' not in msg
    if url:
        assert url in msg  # where to fetch it by hand
    assert isinstance(err.value, OSError)  # what MMEngine's own URLError is
