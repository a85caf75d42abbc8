"""Settings a child of a stock MMPose config inherits that cannot fit it, and the documented
recipe that replaces them: pretrained weights (a URL by its name, a local file tensor by tensor
through the restricted loader), warm-up / validation / milestones against max_epochs and the
dataset, and a child that changes only `codec`."""
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from eba_tools import REPO
from eba_tools.config_check import check_config_against_data
from eba_tools.demo_job import set_data_root
from eba_tools.inherited_check import (check_inherited, count_train_samples, describe_name,
                                       pretrained_findings, schedule_findings)
from eba_tools.synthetic_squares import generate_synthetic_squares

STOCK = 'mmpose::body_2d_keypoint/simcc/coco/simcc_res50_8xb64-210e_coco-256x192.py'
RECIPE = osp.join(REPO, 'configs', 'custom',
                  'simcc_eba-res18-mlp_stock-child-1xb16-30e_squares5-96x96.py')


@pytest.fixture(scope='module')
def squares(tmp_path_factory):
    root = tmp_path_factory.mktemp('squares_inherited')
    generate_synthetic_squares(str(root), num_train=3, num_val=2, seed=0, progress=False)
    return str(root)


def naive_child(tmp_path, root, extra='') -> Config:
    """What the issue's user wrote: the README's swap, their keypoints and files, nothing else."""
    path = tmp_path / 'naive.py'
    path.write_text(f'''_base_ = ['{STOCK}']
custom_imports = dict(imports=['eba_prnetcc_mmpose'], allow_failed_imports=False)
model = dict(backbone=dict(type='EBAResNet', depth=34),
             head=dict(type='MLPSimCCHead', in_channels=512, out_channels=5))
train_dataloader = dict(batch_size=16, dataset=dict(
    data_root='{root}/', ann_file='annotations/squares_train.json',
    data_prefix=dict(img='images/train/')))
{extra}
''')
    return Config.fromfile(str(path))


def texts(findings, level):
    return [f.text for f in findings if f.level == level]


def test_a_naive_stock_child_names_every_inherited_setting(tmp_path, squares):
    cfg = naive_child(tmp_path, squares, 'train_cfg = dict(max_epochs=8)')
    n = count_train_samples(cfg)
    assert n and n >= 3
    found = check_inherited(cfg, n)
    errors, warnings = texts(found, 'error'), texts(found, 'warning')
    assert len(errors) == 1
    for fact in ("'torchvision://resnet50'", 'ResNet-50', 'EBAResNet depth 34',
                 "checkpoint='torchvision://resnet34'", 'init_cfg=None'):
        assert fact in errors[0], fact
    joined = '\n'.join(warnings)
    for fact in ('val_interval=10 is past max_epochs=8', 'milestones [170, 200]',
                 'end=500 iterations', f'{n} samples at batch 16', 'set end=2 (2 epochs)',
                 'longer than the whole training'):
        assert fact in joined, fact


@pytest.mark.parametrize('checkpoint,backbone,fits', [
    ('torchvision://resnet50', dict(type='ResNet', depth=50), True),
    ('torchvision://resnet18', dict(type='EBAResNet', depth=34), False),
    ('torchvision://resnext50_32x4d', dict(type='ResNet', depth=50), False),
    ('torchvision://wide_resnet50_2', dict(type='EBAResNet', depth=50), False),
    ('https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/simcc/coco/'
     'simcc_res50_8xb64-210e_coco-256x192-8e0f5b59_20220919.pth',
     dict(type='EBAResNet', depth=50), True),
    ('open-mmlab://resnet50_v1c', dict(type='EBAResNet', depth=34), False),
    ('mmcls://mobilenet_v2', dict(type='MobileNetV2'), True),
    ('mmcls://mobilenet_v2', dict(type='EBAResNet', depth=18), False),
    ('torchvision://resnet50', dict(type='MobileNetV2'), False),
    ('https://example.org/my_weights.pth', dict(type='EBAResNet', depth=18), True),
])
def test_a_url_is_judged_by_its_name_never_downloaded(checkpoint, backbone, fits):
    cfg = Config(dict(model=dict(backbone=dict(
        backbone, init_cfg=dict(type='Pretrained', checkpoint=checkpoint)))))
    found = pretrained_findings(cfg)
    assert (found == []) == fits, found
    if not fits:
        assert checkpoint in found[0].text and found[0].level == 'error'


def test_names_it_reads():
    assert describe_name('torchvision://resnet34') == dict(family='resnet', depth=34,
                                                           name='resnet34')
    assert describe_name('x/res50_coco_256x192-ec54d7f3_20200709.pth')['depth'] == 50
    assert describe_name('a/resnest50.pth')['family'] == 'resnest'
    assert describe_name('a/model_final.pth') is None


def _tiny(kind='ResNet', depth=18, base=8, **kw):
    extra = dict(reduction=4) if kind == 'EBAResNet' else {}
    return dict(type=kind, depth=depth, base_channels=base, stem_channels=base, **extra, **kw)


def _save(tmp_path, name, section, prefix=''):
    from mmpose.registry import MODELS
    sd = {prefix + k: v for k, v in MODELS.build(section).state_dict().items()}
    path = tmp_path / name
    torch.save({'state_dict': sd}, path)
    return str(path)


@pytest.mark.parametrize('saved,prefix,backbone,facts', [
    (_tiny(depth=18), None, _tiny('EBAResNet', depth=34),
     ['holds a ResNet-18 (BasicBlock, 2-2-2-2 blocks)', 'EBAResNet depth 34']),
    (_tiny(depth=50), None, _tiny('EBAResNet', depth=18), ['holds a ResNet-50 (Bottleneck']),
    (_tiny(base=8), None, _tiny('EBAResNet', base=16), ['another shape', 'conv1.weight']),
    (_tiny(), 'model_prefix', _tiny('EBAResNet'), ["no tensor name starts with prefix='head.'"]),
    (_tiny(), 'whole_model', _tiny('EBAResNet'), ["prefix='backbone.'", 'nothing']),
    (_tiny(), None, _tiny('EBAResNet'), []),  # fits: the attention keeps its init
    (_tiny(), 'backbone.', _tiny('EBAResNet'), []),
])
def test_a_local_file_is_compared_tensor_by_tensor(tmp_path, saved, prefix, backbone, facts):
    file_prefix = 'backbone.' if prefix in ('backbone.', 'model_prefix', 'whole_model') else ''
    path = _save(tmp_path, 'w.pth', saved, file_prefix)
    init = dict(type='Pretrained', checkpoint=path)
    if prefix == 'model_prefix':
        init['prefix'] = 'head.'
    elif prefix == 'backbone.':
        init['prefix'] = 'backbone.'
    cfg = Config(dict(model=dict(backbone=dict(backbone, init_cfg=init))))
    found = pretrained_findings(cfg)
    assert len(found) == len(facts[:1]), found
    for fact in facts:
        assert fact in found[0].text, (fact, found[0].text)


def test_a_missing_local_file_and_an_unsafe_one(tmp_path):
    cfg = Config(dict(model=dict(backbone=dict(
        _tiny('EBAResNet'), init_cfg=dict(type='Pretrained', checkpoint=str(tmp_path / 'no.pth'))))))
    assert 'not found' in pretrained_findings(cfg)[0].text
    evil = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'x': torch.zeros(1)}, 'f': print}, evil)
    cfg.model.backbone.init_cfg.checkpoint = str(evil)
    text = pretrained_findings(cfg)[0].text
    assert 'cannot be read' in text and 'evil.pth' in text  # the restricted loader refused it


@pytest.mark.parametrize('schedule,fact', [
    ([dict(type='LinearLR', begin=0, end=8, by_epoch=True, start_factor=0.1)], 'end=8 epochs'),
    ([dict(type='CosineAnnealingLR', begin=0, end=50, T_max=50, by_epoch=True)], 'end=50'),
    ([dict(type='LinearLR', begin=0, end=30, by_epoch=True, start_factor=1.0,
           end_factor=0.01)], None),  # a decay, not a warm-up; within max_epochs
])
def test_epoch_based_schedules(schedule, fact):
    cfg = Config(dict(train_cfg=dict(max_epochs=30), param_scheduler=schedule))
    found = schedule_findings(cfg)
    assert (fact is None and found == []) or (fact and fact in found[0].text), found


def test_a_child_that_changes_only_codec_builds_and_is_caught_before_training(tmp_path,
                                                                              squares):
    """MMEngine merges a child's values: the stock head, decoder and pipelines keep the stock
    codec's (192, 256), so the model builds; the checks name the stale `codec`."""
    from mmpose.registry import MODELS

    from eba_tools.preflight import preflight_findings
    cfg = naive_child(tmp_path, squares, (
        "codec = dict(type='SimCCLabel', input_size=(96, 128), sigma=4.0, "
        "simcc_split_ratio=2.0)"))
    cfg.model.backbone.init_cfg = None  # only the codec is stale
    assert cfg.model.head.type == 'MLPSimCCHead'
    assert cfg.model.head.decoder.input_size == (192, 256)
    MODELS.build(cfg.model)  # no error: the model never sees `codec`
    errors = texts(preflight_findings(cfg), 'error')
    assert any('codec input_size (96, 128)' in e and '(192, 256)' in e for e in errors), errors
    cfg.model.head.decoder = cfg.codec  # the head does see its own decoder
    with pytest.raises(ValueError, match=r'decoder input_size \(96, 128\)'):
        MODELS.build(cfg.model)


def test_the_documented_recipe_fits(squares):
    """The doc's "start from a stock MMPose config" child: builds, passes the config and data
    checks, and nothing inherited is left that cannot fit."""
    cfg = Config.fromfile(RECIPE)
    set_data_root(cfg, squares)
    assert cfg.model.backbone.init_cfg.checkpoint == 'torchvision://resnet18'
    assert cfg.val_dataloader.dataset.bbox_file is None
    check_config_against_data(cfg, decode_images=False, progress=False)
    assert check_inherited(cfg, count_train_samples(cfg)) == []
    doc = open(osp.join(REPO, 'docs', 'custom_dataset.md')).read()
    blocks = re.findall(r'```python\n(.*?)```', doc, flags=re.S)
    assert open(RECIPE).read() in blocks, f'docs/custom_dataset.md differs from {RECIPE}'


@pytest.mark.parametrize('text', [
    '[' * 100000 + ']' * 100000,  # nesting deeper than the JSON parser recurses
    '{"annotations": [{"keypoints": "abc"}]}',  # wrong types
    '{"annotations": [{"num_keypoints": "3"}]}'])
def test_train_sample_count_of_a_malformed_file_is_unknown_not_a_traceback(tmp_path, text):
    (tmp_path / 'train.json').write_text(text)
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        data_root=str(tmp_path), ann_file='train.json'))))
    assert count_train_samples(cfg) is None
