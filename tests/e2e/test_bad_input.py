"""Bad input to the training stack gives errors that name the file or key."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmpose.registry import DATASETS, TRANSFORMS

from eba_prnetcc_mmpose.analysis import build_model
from eba_prnetcc_mmpose.apis import set_data_root
from eba_prnetcc_mmpose.datasets.check import DatasetCheckError, check_config_datasets

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'configs', 'demo', 'simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py')


def test_missing_dataset_path_names_the_file(tmp_path):
    cfg = Config.fromfile(DEMO)
    set_data_root(cfg, str(tmp_path / 'nowhere'))
    ds_cfg = cfg.train_dataloader.dataset
    with pytest.raises(Exception, match='nowhere/annotations/person_keypoints_train.json'):
        DATASETS.build(ds_cfg)
    with pytest.raises(DatasetCheckError, match='annotation file not found: .*nowhere'):
        check_config_datasets(cfg, progress=False)


def test_undecodable_image_names_the_image(tmp_path):
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'\xff\xd8 not really a jpeg')
    load = TRANSFORMS.build(dict(type='LoadImage'))
    with pytest.raises(Exception, match='broken.jpg'):
        load(dict(img_path=str(bad)))


@pytest.mark.parametrize('override,match', [
    (dict(model=dict(head=dict(decoder=dict(simcc_split_ratio=3.0)))), 'codec .* must agree'),
    (dict(model=dict(head=dict(input_size=(128, 96)))), 'does not tile input_size'),
    (dict(model=dict(head=dict(in_featuremap_size=(4, 4)))), r'in_featuremap_size=\(3, 4\)'),
    (dict(model=dict(backbone=dict(depth=26))), 'unknown depth 26'),
])
def test_inconsistent_config_fails_when_the_model_is_built(override, match):
    with pytest.raises(ValueError, match=match):
        build_model(DEMO, cfg_options=override)
