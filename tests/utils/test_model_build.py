"""Shared model building: sizes and preprocessing read from the built model, clean errors."""
import os.path as osp

import pytest
from mmengine.config import Config

from eba_prnetcc_mmpose.utils.model_build import (ModelBuildError, build_model,
                                                  check_input_size, model_input_size,
                                                  preprocess_info, resolve_config,
                                                  short_config_name)
from eba_tools import DEMO_CONFIG, REPO

HEATMAP = 'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_res50_8xb64-210e_coco-256x192.py'


@pytest.mark.parametrize('config,size', [(DEMO_CONFIG, (96, 128)), (HEATMAP, (192, 256))])
def test_input_size_of_built_models(config, size):
    model, cfg = build_model(config)
    assert model_input_size(model) == size  # SimCC head's input_size / heatmap decoder's
    assert model_input_size(cfg) == size


def test_config_size_prefers_the_model_over_the_top_level_codec():
    cfg = Config.fromfile(DEMO_CONFIG)
    cfg.codec = dict(type='SimCCLabel', input_size=(64, 64))
    assert model_input_size(cfg) == (96, 128)


def test_preprocess_info_and_size_check():
    model, _ = build_model(DEMO_CONFIG)
    info = preprocess_info(model)
    assert info['bgr_to_rgb'] and info['mean'] == pytest.approx([123.675, 116.28, 103.53])
    check_input_size(model, (96, 128))
    with pytest.raises(ModelBuildError, match='128 x 96'):  # the size it takes
        check_input_size(model, (192, 256))


def test_config_names_and_missing_files():
    path = resolve_config(HEATMAP)
    assert osp.isfile(path) and short_config_name(path) == HEATMAP
    assert short_config_name(DEMO_CONFIG, REPO) == osp.relpath(DEMO_CONFIG, REPO)
    with pytest.raises(FileNotFoundError, match='nope.py'):
        resolve_config('nope.py')
