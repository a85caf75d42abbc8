"""Config helpers: one input size and a keypoint list give every dependent field."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import MODELS

from eba_prnetcc_mmpose.datasets.config_helpers import (backbone_stride_and_channels,
                                                        keypoint_metainfo, simcc_codec,
                                                        simcc_head_sizes, topdown_pipelines)
from eba_tools import REPO

CUSTOM = osp.join(REPO, 'configs', 'custom', 'simcc_eba-res18-mlp_1xb16-30e_squares5-96x96.py')
CORNERS = ['top_left', 'top_right', 'bottom_right', 'bottom_left', 'centre']


def test_metainfo_is_what_mmpose_parses():
    meta = keypoint_metainfo(
        'squares', CORNERS, flip_pairs=[('top_left', 'top_right'), ('bottom_left', 'bottom_right')],
        skeleton=[('top_left', 'top_right'), ('top_right', 'centre')],
        sigmas=[0.04] * 4 + [0.06])
    parsed = parse_pose_metainfo(meta)
    assert parsed['num_keypoints'] == 5
    assert parsed['flip_indices'] == [1, 0, 3, 2, 4]  # corners swap left/right, centre stays
    assert {tuple(sorted(p)) for p in parsed['flip_pairs']} == {(0, 1), (2, 3)}
    assert parsed['skeleton_links'] == [(0, 1), (1, 4)]
    assert parsed['sigmas'].tolist() == pytest.approx([0.04] * 4 + [0.06])
    assert parsed['keypoint_colors'].shape == (5, 3)


@pytest.mark.parametrize('kwargs,match', [  # the argument and the keypoint to fix
    (dict(keypoints=[]), 'no keypoints'),
    (dict(keypoints=['a', 'b', 'a']), r"duplicate .*'a'"),
    (dict(flip_pairs=[('a', 'z')]), "flip_pairs .*'z'"),
    (dict(flip_pairs=[('a', 'a')]), 'flip pair .*itself'),
    (dict(flip_pairs=[('a', 'b'), ('b', 'c')]), "'b' .*more than one flip pair"),
    (dict(skeleton=[('a', 'q')]), "skeleton .*'q'"),
    (dict(sigmas=[0.1, 0.1]), 'sigmas'),
    (dict(joint_weights=[1.0]), 'joint_weights'),
    (dict(upper_body=['x']), "upper_body .*'x'"),
])
def test_metainfo_errors_name_the_argument_and_keypoint(kwargs, match):
    args = dict(dataset_name='t', keypoints=['a', 'b', 'c'])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        keypoint_metainfo(**args)


@pytest.mark.parametrize('size,sigma', [((192, 256), (4.9, 5.66)), ((288, 384), (6.0, 6.93)),
                                        ((256, 256), (5.66, 5.66))])
def test_codec_sigma_follows_mmpose_simcc_configs(size, sigma):
    codec = simcc_codec(size)
    assert codec == dict(type='SimCCLabel', input_size=size, sigma=sigma, simcc_split_ratio=2.0)


@pytest.mark.parametrize('backbone,stride,channels', [
    (dict(type='EBAResNet', depth=18), 32, 512),
    (dict(type='EBAResNet', depth=18, base_channels=32), 32, 256),
    (dict(type='EBAResNet', depth=50), 32, 2048),
    (dict(type='ResNet', depth=34, strides=(1, 2, 2, 1)), 16, 512),
    (dict(type='ResNet', depth=50, out_indices=(2, )), 16, 1024),
])
def test_backbone_stride_and_channels_match_the_built_backbone(backbone, stride, channels):
    assert backbone_stride_and_channels(backbone) == (stride, channels)
    model = MODELS.build(backbone)
    model.eval()  # MMPose's ResNet.train() returns None
    feat = model(torch.zeros(1, 3, 64, 64))[-1]
    assert (64 // feat.shape[-1], feat.shape[1]) == (stride, channels)


@pytest.mark.parametrize('input_size', [(64, 64), (96, 128), (160, 96)])
@pytest.mark.parametrize('num_keypoints', [1, 5, 17])
def test_derived_head_builds_and_matches_codec_and_pipelines(input_size, num_keypoints):
    backbone = dict(type='EBAResNet', depth=18, base_channels=16, stem_channels=16)
    codec = simcc_codec(input_size)
    sizes = simcc_head_sizes(codec, num_keypoints, backbone=backbone)
    assert sizes['in_featuremap_size'] == (input_size[0] // 32, input_size[1] // 32)
    assert sizes['decoder'] == codec and sizes['in_channels'] == 128
    head = MODELS.build(dict(type='MLPSimCCHead', deconv_out_channels=(32, ),
                             deconv_kernel_sizes=(4, ), mlp_hidden_channels=16, **sizes))
    model = MODELS.build(backbone)
    model.eval()
    feats = model(torch.zeros(2, 3, input_size[1], input_size[0]))
    pred_x, pred_y = head(feats)
    assert pred_x.shape == (2, num_keypoints, input_size[0] * 2)
    assert pred_y.shape == (2, num_keypoints, input_size[1] * 2)
    train, test = topdown_pipelines(codec)
    affine = [s['input_size'] for s in train + test if s['type'] == 'TopdownAffine']
    assert affine == [input_size, input_size]
    assert [s['encoder'] for s in train if s['type'] == 'GenerateTarget'] == [codec]


@pytest.mark.parametrize('size', [(64, 48), (100, 90), (80, 60), (96, 96)])
def test_any_input_size_gets_the_map_the_backbone_makes(size):
    """The helper states what a built ResNet measures: ceil(side / 32) per side."""
    from eba_prnetcc_mmpose.models import EBAResNet
    sizes = simcc_head_sizes(simcc_codec(size), 5, backbone=dict(type='EBAResNet', depth=18))
    backbone = EBAResNet(18)
    backbone.eval()  # (MMPose's ResNet.train returns None)
    with torch.no_grad():
        feat = backbone(torch.zeros(1, 3, size[1], size[0]))[-1]
    assert sizes['in_featuremap_size'] == (feat.shape[3], feat.shape[2])


@pytest.mark.parametrize('call,match', [  # the argument to fix
    (lambda: simcc_codec((96, )), 'input_size'),
    (lambda: simcc_codec((96.5, 96)), 'input_size'),
    (lambda: simcc_head_sizes(simcc_codec((64, 64)), 0), 'num_keypoints'),
    (lambda: simcc_head_sizes(simcc_codec((64, 64)), 5, backbone=dict(type='HRNet')),
     'stride=.*in_channels='),
    (lambda: simcc_head_sizes(simcc_codec((64, 64)), 5,
                              backbone=dict(type='EBAResNet', depth=26)),
     r'depth 26.*\[18, 34, 50, 101, 152\]'),
])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_explicit_stride_without_backbone():
    sizes = simcc_head_sizes(simcc_codec((64, 128)), 3, stride=16, in_channels=48)
    assert sizes['in_featuremap_size'] == (4, 8) and sizes['in_channels'] == 48
    assert 'in_channels' not in simcc_head_sizes(simcc_codec((64, 64)), 3)


def test_flip_off_leaves_no_random_flip():
    train, _ = topdown_pipelines(simcc_codec((64, 64)), flip=False)
    assert 'RandomFlip' not in [s['type'] for s in train]


def test_custom_config_is_plain_data_and_consistent(tmp_path):
    cfg = Config.fromfile(CUSTOM)
    assert not any(callable(v) for v in cfg.values())  # helpers are dropped by MMEngine
    head = cfg.model.head
    assert head.out_channels == 5 and head.in_channels == 256
    assert tuple(head.input_size) == (96, 96) and tuple(head.in_featuremap_size) == (3, 3)
    assert head.decoder == cfg.codec
    for loader in ('train_dataloader', 'val_dataloader'):
        assert cfg[loader].dataset.metainfo == cfg.metainfo
    # a dumped config (what the Runner writes to the work dir) loads back the same
    cfg.dump(str(tmp_path / 'dumped.py'))
    again = Config.fromfile(str(tmp_path / 'dumped.py'))
    assert again.model.head.to_dict() == head.to_dict()
    assert again.train_dataloader.dataset.metainfo == cfg.train_dataloader.dataset.metainfo


def test_child_config_from_the_doc_rederives_every_size(tmp_path):
    """The documented way to change the input size in a child config leaves nothing stale."""
    import re
    doc = open(osp.join(REPO, 'docs', 'custom_dataset.md')).read()
    child = [b for b in re.findall(r'```python\n(.*?)```', doc, flags=re.S)
             if b.lstrip().startswith("_base_ = ['./")][0]
    child = '\n'.join(line[2:] for line in child.splitlines())  # un-indent the list item
    child = child.replace("'./", f"'{osp.dirname(CUSTOM)}/")
    (tmp_path / 'child.py').write_text(child)
    from eba_tools.config_check import check_config
    cfg = Config.fromfile(str(tmp_path / 'child.py'))
    assert tuple(cfg.model.head.input_size) == (128, 128)
    assert tuple(cfg.model.head.in_featuremap_size) == (4, 4)
    assert check_config(cfg) == []
