"""Starting from MMPose zoo weights: a stock SimCC / SimpleBaseline / ResNet checkpoint (written
here by saving a stock model) initialises the swapped model (EBAResNet + MLPSimCCHead) through
MMEngine's ``Pretrained`` init; the new parts keep their initialisation, and MMEngine reports
them as missing keys."""
import os.path as osp

import mmpose
import pytest
import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import load_checkpoint
from mmpose.models.backbones import ResNet
from mmpose.registry import MODELS

from eba_prnetcc_mmpose.apis.swap import swap_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STOCK_SIMCC = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', 'body_2d_keypoint',
                       'simcc', 'coco', 'simcc_res50_8xb64-210e_coco-256x192.py')
FINE_TUNE = osp.join(ROOT, 'configs', 'swap',
                     'simcc_res50-mlp-mish-head_zoo-ft-8xb32-30e_coco-384x288.py')
#: a small stand-in for the zoo's ResNet-50 models (same key layout, fast to save and load)
SMALL = dict(backbone=dict(depth=18, init_cfg=None),
             head=dict(in_channels=512, deconv_out_channels=(32, 32, 32)))


def stock_model(kind):
    cfg = Config.fromfile(STOCK_SIMCC)
    cfg.merge_from_dict(dict(model=SMALL))
    if kind == 'SimpleBaseline':
        head = cfg.model.head
        cfg.model.head = dict(type='HeatmapHead', in_channels=512, out_channels=17,
                              deconv_out_channels=head.deconv_out_channels,
                              loss=dict(type='KeypointMSELoss', use_target_weight=True))
    model = MODELS.build(cfg.model)
    with torch.no_grad():  # trained-looking weights and BN statistics
        for name, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(torch.rand_like(t) + 0.5 if 'running_var' in name
                        else torch.randn_like(t) * 0.1)
    return model, cfg


def save(model, path):
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return str(path)


def swapped_model(cfg, checkpoint, backbone_prefix='backbone.', head=True):
    cfg = swap_config(cfg)
    cfg.model.backbone.init_cfg = dict(type='Pretrained', checkpoint=checkpoint,
                                       prefix=backbone_prefix)
    if head:
        cfg.model.head.init_cfg = dict(type='Pretrained', checkpoint=checkpoint, prefix='head.')
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


@pytest.mark.parametrize('kind', ['SimCC', 'SimpleBaseline'])
def test_pose_model_checkpoint_initialises_swapped_model(tmp_path, captured_log, kind):
    stock, _ = stock_model(kind)
    ckpt = save(stock, tmp_path / f'{kind}.pth')
    model = swapped_model(_small_cfg(), ckpt)
    ours, theirs = model.state_dict(), stock.state_dict()
    # trunk: every stock backbone tensor; head: deconvs, BNs and the final conv
    for key, value in theirs.items():
        if key.startswith('backbone.'):
            torch.testing.assert_close(ours[key], value, msg=key)
        elif key.startswith('head.') and not key.startswith('head.mlp_head'):
            mapped = key if kind == 'SimCC' else key.replace('head.', 'head.deconv_head.', 1)
            torch.testing.assert_close(ours[mapped], value, msg=key)
    new = [k for k in ours if k not in theirs and not k.startswith('head.deconv_head.')]
    assert new and all('.attention.' in k or k.startswith('head.mlp_head') for k in new)
    assert sorted(missing_keys(captured_log)) == sorted(  # (MMEngine omits BN counters)
        k.split('.', 1)[1] for k in new if 'num_batches_tracked' not in k)


def missing_keys(log):
    """The keys MMEngine's ``load_state_dict`` reported as missing, over all its messages."""
    keys = []
    for record in log:
        for line in record.getMessage().splitlines():
            if line.startswith('missing keys in source state_dict: '):
                keys += line.split(': ', 1)[1].split(', ')
    return keys


def _small_cfg():
    cfg = Config.fromfile(STOCK_SIMCC)
    cfg.merge_from_dict(dict(model=SMALL))
    return cfg


def test_imagenet_resnet_checkpoint_initialises_the_trunk(tmp_path, captured_log):
    resnet = ResNet(18)
    ckpt = save(resnet, tmp_path / 'resnet18.pth')
    model = swapped_model(_small_cfg(), ckpt, backbone_prefix=None, head=False)
    for key, value in resnet.state_dict().items():
        torch.testing.assert_close(model.backbone.state_dict()[key], value, msg=key)
    missing = missing_keys(captured_log)
    assert missing and all('.attention.' in k for k in missing)


def test_load_from_a_stock_simcc_checkpoint_fills_the_matching_part(tmp_path):
    """``load_from`` (MMEngine, strict=False) also works: the head's keys are SimCCHead's."""
    stock, cfg = stock_model('SimCC')
    ckpt = save(stock, tmp_path / 'simcc.pth')
    model = MODELS.build(swap_config(cfg, backbone=False).model)
    load_checkpoint(model, ckpt, map_location='cpu', strict=False)
    ours = model.state_dict()
    for key, value in stock.state_dict().items():
        if not key.startswith('head.mlp_head'):
            torch.testing.assert_close(ours[key], value, msg=key)


def test_shipped_fine_tune_config_starts_from_the_zoo_checkpoint(tmp_path, captured_log):
    cfg = Config.fromfile(FINE_TUNE)
    zoo = cfg.zoo_checkpoint
    assert zoo.startswith('https://download.openmmlab.com/mmpose/') and 'simcc_res50' in zoo
    for part, prefix in (('backbone', 'backbone.'), ('head', 'head.')):
        init = cfg.model[part].init_cfg
        assert (init.type, init.checkpoint, init.prefix) == ('Pretrained', zoo, prefix)
    assert cfg.model.head.type == 'MLPSimCCHead' and cfg.train_cfg.max_epochs == 30
    # with a local stand-in for the zoo file, the model builds and initialises from it
    stock, _ = stock_model('SimCC')
    ckpt = save(stock, tmp_path / 'zoo.pth')
    cfg.merge_from_dict(dict(model=dict(
        backbone=dict(depth=18, init_cfg=dict(checkpoint=ckpt)),
        head=dict(in_channels=512, deconv_out_channels=(32, 32, 32),
                  input_size=(192, 256), in_featuremap_size=(6, 8), init_cfg=dict(checkpoint=ckpt),
                  decoder=dict(input_size=(192, 256))))))
    model = MODELS.build(cfg.model)
    model.init_weights()
    for key, value in stock.state_dict().items():
        if not key.startswith('head.mlp_head'):
            torch.testing.assert_close(model.state_dict()[key], value, msg=key)
    assert 'mlp_head_x.0.weight' in missing_keys(captured_log)
