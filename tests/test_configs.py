"""Every config under configs/ loads (with its mmpose:: bases) and its model builds and runs."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmpose.models import TopdownPoseEstimator

from eba_prnetcc_mmpose.analysis import build_model, model_input_size

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True))


def test_configs_exist():
    names = {osp.basename(c) for c in CONFIGS}
    for depth in (18, 34):
        for size in ('384x288', '256x256'):
            assert f'simcc_eba-res{depth}-mlp_1xb16-140e_coco-{size}.py' in names
    assert 'simcc_eba-res34-slp_1xb16-140e_coco-384x288.py' in names


@pytest.mark.parametrize('config', CONFIGS, ids=lambda c: osp.relpath(c, ROOT))
def test_config_builds_and_runs(config):
    cfg = Config.fromfile(config)
    assert 'eba_prnetcc_mmpose' in cfg.custom_imports['imports']
    model, cfg = build_model(config)
    assert isinstance(model, TopdownPoseEstimator)
    w, h = model_input_size(cfg)
    model.eval()
    with torch.no_grad():
        pred_x, pred_y = model._forward(torch.randn(1, 3, h, w))
    assert pred_x.shape[-1] == int(w * cfg.model.head.simcc_split_ratio)
    assert pred_y.shape[-1] == int(h * cfg.model.head.simcc_split_ratio)


@pytest.mark.parametrize('config', [c for c in CONFIGS if '/eba_prnetcc/' in c],
                         ids=osp.basename)
def test_paper_configs_follow_the_paper_recipe(config):
    cfg = Config.fromfile(config)
    assert cfg.optim_wrapper.optimizer.type == 'AdamW' and cfg.optim_wrapper.optimizer.lr == 1e-5
    assert cfg.train_dataloader.batch_size == 16 and cfg.train_cfg.max_epochs == 140
    assert cfg.model.test_cfg.flip_test
    bbox_tf = [t for t in cfg.train_dataloader.dataset.pipeline
               if t['type'] == 'RandomBBoxTransform'][0]
    assert bbox_tf['rotate_factor'] == 30.0 and tuple(bbox_tf['scale_factor']) == (0.7, 1.3)
    assert any(t['type'] == 'RandomFlip' for t in cfg.train_dataloader.dataset.pipeline)
    assert cfg.model.backbone.type == 'EBAResNet' and cfg.model.head.type == 'MLPSimCCHead'
    assert cfg.model.head.loss.type == 'EBAKLDiscretLoss'
    assert cfg.val_evaluator.type == 'CocoMetric'
    assert cfg.val_dataloader.dataset.bbox_file.endswith('COCO_val2017_detections_AP_H_56_person.json')
