"""Every config under configs/ loads (with its mmpose:: bases) and its model builds and runs;
the paper configs follow the paper's recipe; the worked custom-dataset config trains, tests and
is shown verbatim in docs/custom_dataset.md."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpose.models import TopdownPoseEstimator

from eba_prnetcc_mmpose.utils.model_build import build_model, model_input_size
from eba_tools import REPO
from eba_tools.demo_job import set_data_root
from eba_tools.synthetic_squares import generate_synthetic_squares

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))
CUSTOM = osp.join(REPO, 'configs', 'custom', 'simcc_eba-res18-mlp_1xb16-30e_squares5-96x96.py')


def test_configs_exist():
    names = {osp.basename(c) for c in CONFIGS}
    for depth in (18, 34):
        for size in ('384x288', '256x256'):
            assert f'simcc_eba-res{depth}-mlp_1xb16-140e_coco-{size}.py' in names
    assert 'simcc_eba-res34-slp_1xb16-140e_coco-384x288.py' in names


@pytest.mark.parametrize('config', CONFIGS, ids=lambda c: osp.relpath(c, REPO))
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


@pytest.fixture(scope='module')
def squares(tmp_path_factory):
    root = tmp_path_factory.mktemp('squares5')
    generate_synthetic_squares(str(root), num_train=16, num_val=4, seed=1, progress=False)
    return root


def tiny_cfg(data_root, work_dir) -> Config:
    cfg = Config.fromfile(CUSTOM)
    set_data_root(cfg, str(data_root))
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.update(batch_size=8, num_workers=0, persistent_workers=False)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.update(max_epochs=1, val_interval=1)
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(work_dir)
    return cfg


@pytest.mark.slow
def test_worked_config_trains_and_tests_on_five_keypoints(squares, tmp_path):
    cfg = tiny_cfg(squares, tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()
    metrics = runner.test()
    assert {'coco/AP', 'coco/AR'} <= set(metrics)
    assert 0.0 <= metrics['coco/AP'] <= 1.0


def test_doc_shows_the_worked_config_verbatim():
    """docs/custom_dataset.md embeds the config file; this keeps the two identical."""
    doc = open(osp.join(REPO, 'docs', 'custom_dataset.md')).read()
    blocks = re.findall(r'```python\n(.*?)```', doc, flags=re.S)
    assert open(CUSTOM).read() in blocks, f'docs/custom_dataset.md differs from {CUSTOM}'
