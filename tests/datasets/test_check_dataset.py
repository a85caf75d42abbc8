"""tools/check_dataset.py and its library: every problem named with its file or key."""
import glob
import json
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from eba_prnetcc_mmpose.apis import set_data_root
from eba_prnetcc_mmpose.datasets import generate_synthetic_squares
from eba_prnetcc_mmpose.datasets.check import (DatasetCheckError, check_coco_keypoints,
                                               check_config, check_config_against_data)

K = 17


def write_dataset(root, n=3):
    (root / 'img').mkdir(parents=True)
    images, anns = [], []
    for i in range(1, n + 1):
        cv2.imwrite(str(root / 'img' / f'{i}.jpg'), np.full((32, 32, 3), 80, np.uint8))
        images.append(dict(id=i, file_name=f'{i}.jpg', width=32, height=32))
        anns.append(dict(id=i, image_id=i, category_id=1, bbox=[2, 2, 20, 20], area=400,
                         iscrowd=0, num_keypoints=K, keypoints=[5, 5, 2] * K))
    data = dict(images=images, annotations=anns,
                categories=[dict(id=1, name='person', keypoints=[str(k) for k in range(K)],
                                 skeleton=[])])
    (root / 'ann.json').write_text(json.dumps(data))
    (root / 'dets.json').write_text(json.dumps([dict(image_id=1, category_id=1,
                                                     bbox=[1, 1, 9, 9], score=0.9)]))
    return data


def test_valid_dataset_passes(tmp_path):
    write_dataset(tmp_path)
    report = check_coco_keypoints(str(tmp_path / 'ann.json'), str(tmp_path / 'img'),
                                  str(tmp_path / 'dets.json'), progress=False)
    assert report == dict(images=3, annotations=3, keypoints=K,
                          keypoint_names=[str(k) for k in range(K)])


def test_every_problem_is_named(tmp_path):
    data = write_dataset(tmp_path)
    (tmp_path / 'img' / '2.jpg').write_bytes(b'garbage')
    (tmp_path / 'img' / '3.jpg').unlink()
    data['annotations'][0]['keypoints'] = [1, 2, 2]
    del data['annotations'][1]['bbox']
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    with pytest.raises(DatasetCheckError) as err:
        check_coco_keypoints(str(tmp_path / 'ann.json'), str(tmp_path / 'img'), progress=False)
    msg = str(err.value)
    assert '4 problem(s)' in msg
    assert 'image does not decode' in msg and '2.jpg' in msg
    assert 'image not found' in msg and '3.jpg' in msg
    assert 'annotation id 1: "keypoints" has 3 values, expected 3 x 17' in msg
    assert 'annotation id 2 has no "bbox"' in msg


@pytest.mark.parametrize('content,match', [
    (None, 'annotation file not found'),
    ('{not json', 'not valid JSON'),
    (json.dumps([1, 2]), 'top level is a list'),
    (json.dumps(dict(images=[], annotations=[])), r"missing key\(s\) \['categories'\]"),
    (json.dumps(dict(images=[], annotations=[], categories=[dict(id=1, name='person')])),
     'not a COCO \\*keypoints\\* file'),
])
def test_not_a_coco_keypoint_file(tmp_path, content, match):
    ann = tmp_path / 'ann.json'
    if content is not None:
        ann.write_text(content)
    with pytest.raises(DatasetCheckError, match=match):
        check_coco_keypoints(str(ann), str(tmp_path), progress=False)


def test_cli(tmp_path):
    write_dataset(tmp_path)
    cmd = [sys.executable, 'tools/check_dataset.py', '--ann-file', str(tmp_path / 'ann.json'),
           '--img-dir', str(tmp_path / 'img')]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0 and 'OK' in res.stdout and '3 images' in res.stdout
    (tmp_path / 'img' / '1.jpg').write_bytes(b'x')
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 1 and 'image does not decode' in res.stderr


# ---- a config against its data: the worked 5-keypoint config on a tiny squares set ----------
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CUSTOM = osp.join(ROOT, 'configs', 'custom', 'simcc_eba-res18-mlp_1xb16-30e_squares5-96x96.py')
TOOL = [sys.executable, osp.join(ROOT, 'tools', 'check_dataset.py')]


@pytest.fixture(scope='module')
def squares(tmp_path_factory):
    root = tmp_path_factory.mktemp('squares_check')
    generate_synthetic_squares(str(root), num_train=3, num_val=2, seed=0, progress=False)
    return root


def squares_cfg(root) -> Config:
    cfg = Config.fromfile(CUSTOM)
    set_data_root(cfg, str(root))
    return cfg


def _swap(cfg, i, value):
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.metainfo.keypoint_info[i].swap = value


def _rename(cfg):
    for loader in ('train_dataloader', 'val_dataloader'):
        info = cfg[loader].dataset.metainfo.keypoint_info
        info[2].name, info[3].name = info[3].name, info[2].name


def _no_metainfo(cfg):
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.pop('metainfo')


def _sigmas(cfg):
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.metainfo.sigmas = [0.05] * 4


def _train_affine(cfg, size):
    step = [s for s in cfg.train_dataloader.dataset.pipeline if s.type == 'TopdownAffine'][0]
    step.input_size = size


def _set_input_size(cfg, size):
    """Every size-dependent field of the model at ``size`` (so only the stride is wrong)."""
    head = cfg.model.head
    head.input_size = head.decoder.input_size = cfg.codec.input_size = size
    for loader in ('train_dataloader', 'val_dataloader'):
        for step in cfg[loader].dataset.pipeline:
            if step.type == 'TopdownAffine':
                step.input_size = size
            if step.type == 'GenerateTarget':
                step.encoder.input_size = size


@pytest.mark.parametrize('change,messages', [
    (lambda c: c.model.head.update(out_channels=17), [
        r'model\.head\.out_channels=17 but .*squares_train\.json, .*squares_val\.json have 5 '
        r'keypoints per instance: set out_channels=5',
        r'model\.head\.out_channels=17 but train_dataloader\.dataset, val_dataloader\.dataset use '
        r'their metainfo with 5 keypoints: they must be equal']),
    (_no_metainfo, [
        r"squares_train\.json has 5 keypoints per instance but train_dataloader\.dataset uses "
        r"CocoDataset's default metainfo \(no metainfo= in the config\) \(coco\.py\) with 17: "
        r'give the dataset metainfo=']),
    (_rename, [r"train_dataloader\.dataset metainfo names keypoint 2 'bottom_left' but "
               r".*squares_train\.json calls it 'bottom_right' \(2 of 5 differ\)"]),
    (lambda c: _swap(c, 0, 'centre'), [
        r"flip pair 'top_left' -> 'centre' is one-sided: 'centre' swaps with ''"]),
    (lambda c: _swap(c, 4, 'middle'), [
        r"keypoint 4 \('centre'\) swaps with 'middle', which is not a keypoint name"]),
    (_sigmas, [r'sigmas has 4 values for 5 keypoints']),
    (lambda c: _train_affine(c, (64, 64)), [
        r'train_dataloader\.dataset\.pipeline\[4\] \(TopdownAffine\) input_size \(64, 64\) '
        r'differs from model\.head\.input_size \(96, 96\)']),
    (lambda c: c.codec.update(input_size=(64, 64)), [
        r'^codec input_size \(64, 64\) differs from model\.head\.input_size \(96, 96\)']),
    (lambda c: c.model.head.decoder.update(simcc_split_ratio=3.0), [
        r'model\.head\.decoder simcc_split_ratio 3\.0 differs from '
        r'model\.head\.simcc_split_ratio 2\.0']),
    (lambda c: c.model.head.update(in_featuremap_size=(4, 4)), [
        r'model\.head\.in_featuremap_size \(4, 4\) but the backbone turns a 96 x 96 input into '
        r'a 3 x 3 map \(stride 32\): set in_featuremap_size=\(3, 3\)']),
    (lambda c: c.model.head.update(in_channels=512), [
        r"model\.head\.in_channels=512 but the backbone's last feature map has 256 channels: "
        r'set in_channels=256']),
    (lambda c: _set_input_size(c, (96, 80)), [
        r"input size \(W, H\) = \(96, 80\): H 80 not a multiple of the backbone's output stride "
        r'32 \(its feature map is 3 x 3, rounded up\); use e.g. \(96, 96\)']),
    (lambda c: c.pop('custom_imports'), [
        r'the config uses EBAResNet \(model\.backbone\), MLPSimCCHead \(model\.head\).* but '
        r"has no custom_imports for it: MMPose's own tools .* will fail with \"EBAResNet is not "
        r'in the mmpose::model registry\"\. Add custom_imports = '
        r"dict\(imports=\['eba_prnetcc_mmpose'\], allow_failed_imports=False\)"]),
    (lambda c: c.model.head.update(type='MLPSimCCHaed'), [
        r"model\.head\.type='MLPSimCCHaed' is not a registered type: did you mean "
        r"'MLPSimCCHead'\?"]),
    (lambda c: c.optim_wrapper.optimizer.update(type='Adma'), [
        r"optim_wrapper\.optimizer\.type='Adma' is not a registered type: did you mean "
        r"'Adam'"]),
])
def test_config_cross_checks_name_each_problem(squares, change, messages):
    cfg = squares_cfg(squares)
    change(cfg)
    with pytest.raises(DatasetCheckError) as err:
        check_config_against_data(cfg, progress=False)
    lines = str(err.value).split('\n  - ')[1:]
    for message in messages:
        assert any(re.search(message, line) for line in lines), (message, lines)


def test_consistent_config_passes(squares):
    reports = check_config_against_data(squares_cfg(squares), progress=False)
    assert [r['keypoints'] for r in reports.values()] == [5, 5]


def test_cli_checks_a_config(squares, tmp_path, run_tool):
    cfg = squares_cfg(squares)
    cfg.dump(str(tmp_path / 'ok.py'))
    code, out, err = run_tool('check_dataset.py', [str(tmp_path / 'ok.py'), '--no-decode'])
    assert code == 0, err
    assert 'squares_train.json' in out and '5 keypoints' in out
    # from the command line, one problem per line and no traceback
    res = subprocess.run(TOOL + [str(tmp_path / 'ok.py'), '--no-decode', '--cfg-options',
                                 'model.head.out_channels=17'], capture_output=True, text=True)
    assert res.returncode == 1 and re.search(r'dataset check FAILED: \d problem\(s\)', res.stderr)
    assert 'set out_channels=5' in res.stderr and 'Traceback' not in res.stderr


@pytest.mark.parametrize('args,code,match', [
    (['missing_config.py'], 2, 'tools/check_dataset.py: error: config file not found: '
                               'missing_config.py'),
    ([], 2, 'give a CONFIG, or --ann-file and --img-dir'),
    (['--ann-file', 'a.json'], 2, 'give a CONFIG, or --ann-file and --img-dir'),
    (['x.py', '--ann-file', 'a.json'], 2, 'give a CONFIG or --ann-file, not both'),
    (['--ann-file', 'nope.json', '--img-dir', '.'], 1, 'annotation file not found: nope.json'),
])
def test_cli_bad_arguments_one_line(tmp_path, monkeypatch, run_tool, args, code, match):
    monkeypatch.chdir(tmp_path)
    status, _, err = run_tool('check_dataset.py', args)
    assert status == code and 'Traceback' not in err
    assert match in err.strip().splitlines()[-1]  # the error is the last line (after usage)


def test_cli_unparsable_config_one_line(tmp_path, run_tool):
    (tmp_path / 'bad.py').write_text('model = dict(\n')
    code, _, err = run_tool('check_dataset.py', [str(tmp_path / 'bad.py')])
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f'tools/check_dataset.py: error: cannot read config {tmp_path}/bad.py')


def test_cli_help_documents_every_argument_with_defaults(run_tool):
    code, out, _ = run_tool('check_dataset.py', ['--help'])
    assert code == 0
    for arg in ('config', '--ann-file', '--img-dir', '--bbox-file', '--no-decode', '--no-build',
                '--cfg-options'):
        assert arg in out
    assert out.count('(default:') == 7


@pytest.mark.parametrize('config', sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '/_base_/' not in p), ids=lambda p: osp.relpath(p, ROOT))
def test_every_repo_config_passes_the_static_checks(config):
    """No false alarms: the shipped configs are consistent (the backbone build is skipped)."""
    assert check_config(Config.fromfile(config), build_model=False) == []
