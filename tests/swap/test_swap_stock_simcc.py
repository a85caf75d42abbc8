"""The plugin in every stock SimCC pipeline of the installed mmpose.

Walks ``mmpose/.mim/configs/body_2d_keypoint/simcc`` (a newer mmpose that ships more SimCC
configs is covered without changes here), swaps in MLPSimCCHead (and EBAResNet where the
backbone is a ResNet), and runs one training step and one prediction through the config's own
train / val pipelines on a synthetic image (at a 64 x 64 input: same modules, a few seconds
each). Also: every stock config has a swap config under
configs/swap/ that states the same swap.
"""
import copy
import glob
import math
import os.path as osp
import re
import warnings

import mmpose
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.optim import OptimWrapper
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import DATASETS, MODELS

from eba_prnetcc_mmpose.apis.swap import stock_simcc_configs, swap_config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SWAP_DIR = osp.join(ROOT, 'configs', 'swap')
STOCK = stock_simcc_configs()
STOCK_ROOT = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs')


def stock_id(path):
    return osp.relpath(path, STOCK_ROOT)


def metainfo(cfg):
    dataset = cfg.train_dataloader.dataset
    meta = dataset.get('metainfo') or DATASETS.get(dataset.type).METAINFO
    return parse_pose_metainfo(copy.deepcopy(meta))


def data_info(meta, rng, idx):
    """One top-down sample as a COCO-style dataset hands it to the pipeline (get_data_info)."""
    k = meta['num_keypoints']
    h, w = 240, 200
    x1, y1, bw, bh = 40.0, 30.0, 110.0, 180.0
    kpts = np.stack([rng.uniform(x1, x1 + bw, k), rng.uniform(y1, y1 + bh, k)], -1)
    info = dict(img=rng.integers(0, 255, (h, w, 3), dtype=np.uint8), img_path=None,
                id=idx, img_id=idx, category_id=1, bbox=np.array([[x1, y1, x1 + bw, y1 + bh]],
                                                                  dtype=np.float32),
                bbox_score=np.ones(1, dtype=np.float32), keypoints=kpts[None].astype(np.float32),
                keypoints_visible=np.ones((1, k), dtype=np.float32), num_keypoints=k,
                iscrowd=0, segmentation=None, raw_ann_info={})
    for key in ('dataset_name', 'upper_body_ids', 'lower_body_ids', 'flip_pairs',
                'dataset_keypoint_weights', 'flip_indices', 'skeleton_links'):
        info[key] = copy.deepcopy(meta[key])
    return info


def tiny_inputs(cfg, size=(64, 64), stride=32):
    """``cfg`` with every ``input_size`` of its codec (codec, head, decoder, pipelines) set to
    ``size`` (W, H) and the head's ``in_featuremap_size`` to match a stride-32 backbone: the
    same pipeline and model on a tiny input, so a training step takes a second."""
    old = tuple(cfg.codec['input_size'])

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == 'input_size' and tuple(value) == old:
                    node[key] = size
                elif key == 'in_featuremap_size':
                    node[key] = tuple(math.ceil(s / stride) for s in size)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    data = cfg.to_dict()
    walk(data)
    return Config(data)


def test_the_installed_mmpose_ships_simcc_configs():
    assert len(STOCK) >= 5, STOCK  # mmpose 1.3.2: 4 COCO + 1 MPII


@pytest.mark.parametrize('config', STOCK, ids=stock_id)
def test_swapped_stock_pipeline_trains_one_step_and_predicts(config):
    torch.manual_seed(0)
    cfg = tiny_inputs(swap_config(Config.fromfile(config)))
    assert cfg.model.head.type == 'MLPSimCCHead'
    if Config.fromfile(config).model.backbone.type == 'ResNet':
        assert cfg.model.backbone.type == 'EBAResNet'
    cfg.model.backbone.init_cfg = None  # no ImageNet download in tests
    model = MODELS.build(cfg.model)
    model.init_weights()
    meta = metainfo(cfg)
    rng = np.random.default_rng(0)

    train = Compose(cfg.train_dataloader.dataset.pipeline)
    batch = pseudo_collate([train(data_info(meta, rng, i)) for i in range(2)])
    model.train()
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-3))
    before = model.head.mlp_head_x[0].weight.detach().clone()
    log_vars = model.train_step(batch, optim)
    assert torch.isfinite(log_vars['loss_kpt']), log_vars
    assert not torch.equal(before, model.head.mlp_head_x[0].weight)  # the step updated the MLP

    model.eval()
    test = Compose(cfg.val_dataloader.dataset.pipeline)
    batch = pseudo_collate([test(data_info(meta, rng, 0))])
    with torch.no_grad():
        pred = model.test_step(batch)[0].pred_instances
    assert pred.keypoints.shape == (1, meta['num_keypoints'], 2)
    assert np.isfinite(pred.keypoints).all() and np.isfinite(pred.keypoint_scores).all()


def plain(value):
    """A config value without the ``_scope_`` keys that ``mmpose::`` inheritance adds."""
    if hasattr(value, 'to_dict'):
        value = value.to_dict()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != '_scope_'}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def _base_of(path):
    with open(path) as f:
        text = f.read()
    return re.findall(r"'mmpose::([^']+)'", text)


SHIPPED = sorted(glob.glob(osp.join(SWAP_DIR, '*.py')))


def test_every_stock_simcc_config_has_a_shipped_swap_config():
    bases = {b for path in SHIPPED for b in _base_of(path)}
    missing = [stock_id(c) for c in STOCK if stock_id(c) not in bases]
    if missing and mmpose.__version__ != '1.3.2':  # a newer mmpose: the walk above covers them
        warnings.warn(f'stock SimCC configs without a configs/swap/ file: {missing}')
        return
    assert not missing


@pytest.mark.parametrize('path', [p for p in SHIPPED if _base_of(p)], ids=osp.basename)
def test_shipped_swap_config_states_only_the_swap(path):
    """A configs/swap/ file that inherits a stock config changes its model as swap_config
    does (or swaps a part of it), and nothing else of the recipe."""
    ours = Config.fromfile(path)
    stock = Config.fromfile(osp.join(STOCK_ROOT, _base_of(path)[0]))
    swapped = swap_config(stock, head=ours.model.head.type == 'MLPSimCCHead',
                          backbone=ours.model.backbone.type == 'EBAResNet')
    assert swapped.model != stock.model  # it swaps something
    expected = plain(swapped.model)
    assert {k: v for k, v in plain(ours.model).items() if k != 'head'} == {
        k: v for k, v in expected.items() if k != 'head'}
    head, expected_head = plain(ours.model.head), expected['head']
    extra = {k for k in head if head[k] != expected_head.get(k)}
    assert extra <= {'num_mlp_layers', 'mlp_hidden_channels'}  # restated defaults at most
    for key in ('codec', 'train_dataloader', 'val_dataloader', 'optim_wrapper',
                'param_scheduler', 'train_cfg'):
        assert plain(ours.get(key)) == plain(stock.get(key)), key
