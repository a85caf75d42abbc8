"""The documented custom-dataset path, end to end: a 5-keypoint set, the worked config in
configs/custom/, one epoch of training and a test through MMEngine's Runner (CPU)."""
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from eba_prnetcc_mmpose.apis import set_data_root
from eba_prnetcc_mmpose.datasets import generate_synthetic_squares
from eba_prnetcc_mmpose.datasets.check import check_config_against_data

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CUSTOM = osp.join(ROOT, 'configs', 'custom', 'simcc_eba-res18-mlp_1xb16-30e_squares5-96x96.py')
DOC = osp.join(ROOT, 'docs', 'custom_dataset.md')


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
    assert check_config_against_data(cfg, progress=False)  # the checker agrees first
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()
    metrics = runner.test()
    assert {'coco/AP', 'coco/AR'} <= set(metrics)
    assert 0.0 <= metrics['coco/AP'] <= 1.0


@pytest.mark.slow
def test_wrong_out_channels_fails_at_the_loss_naming_out_channels(squares, tmp_path):
    cfg = tiny_cfg(squares, tmp_path / 'work')
    cfg.model.head.out_channels = 17
    with pytest.raises(ValueError, match=r'model\.head\.out_channels=17\) but the dataset has 5 '
                                         r'keypoints per instance.*out_channels=5'):
        Runner.from_cfg(cfg).train()


def test_doc_shows_the_worked_config_verbatim():
    """docs/custom_dataset.md embeds the config file; this keeps the two identical."""
    doc = open(DOC).read()
    blocks = re.findall(r'```python\n(.*?)```', doc, flags=re.S)
    config = open(CUSTOM).read()
    assert config in blocks, 'docs/custom_dataset.md: the worked config differs from ' + CUSTOM
