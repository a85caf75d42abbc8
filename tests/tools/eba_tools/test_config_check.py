"""A config against itself and against its data (the worked 5-keypoint config on a tiny squares
set): each problem is named with the setting to change."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from eba_tools import REPO
from eba_tools.config_check import check_config, check_config_against_data, check_data_files
from eba_tools.coco_check import DatasetCheckError
from eba_tools.demo_job import set_data_root
from eba_tools.synthetic_squares import generate_synthetic_squares


CUSTOM = osp.join(REPO, 'configs', 'custom', 'simcc_eba-res18-mlp_1xb16-30e_squares5-96x96.py')


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


# Each problem: the facts one line must hold, where the problem is and what to set.
@pytest.mark.parametrize('change,problems', [
    (lambda c: c.model.head.update(out_channels=17), [
        ('model.head.out_channels=17', 'squares_train.json', 'out_channels=5'),
        ('model.head.out_channels=17', 'train_dataloader.dataset', 'metainfo')]),
    (_no_metainfo, [('squares_train.json', 'train_dataloader.dataset', 'metainfo=')]),
    (_rename, [('train_dataloader.dataset', "'bottom_left'", "'bottom_right'")]),
    (lambda c: _swap(c, 0, 'centre'), [("'top_left'", "'centre'", 'flip pair')]),
    (lambda c: _swap(c, 4, 'middle'), [("'centre'", "'middle'")]),
    (_sigmas, [('sigmas', '4', '5 keypoints')]),
    (lambda c: _train_affine(c, (64, 64)), [
        ('train_dataloader.dataset.pipeline[4]', '(64, 64)', 'model.head.input_size')]),
    (lambda c: c.codec.update(input_size=(64, 64)), [('codec', '(64, 64)', '(96, 96)')]),
    (lambda c: c.model.head.decoder.update(simcc_split_ratio=3.0), [
        ('model.head.decoder', 'simcc_split_ratio', '2.0')]),
    (lambda c: c.model.head.update(in_featuremap_size=(4, 4)), [
        ('model.head.in_featuremap_size', 'in_featuremap_size=(3, 3)')]),
    (lambda c: c.model.head.update(in_channels=512), [
        ('model.head.in_channels=512', 'in_channels=256')]),
    # MMPose's stock `s // 32` at a size that is not a multiple of 32 (the rule: ceil)
    (lambda c: (_set_input_size(c, (96, 80)), c.model.head.update(in_featuremap_size=(3, 2))),
     [('in_featuremap_size (3, 2)', '96 x 80', 'ceil(H / 32)', 'in_featuremap_size=(3, 3)')]),
    (lambda c: c.pop('custom_imports'), [
        ('EBAResNet (model.backbone)', 'MLPSimCCHead (model.head)',
         "custom_imports = dict(imports=['eba_prnetcc_mmpose']")]),
    (lambda c: c.model.head.update(type='MLPSimCCHaed'), [
        ('model.head.type', "'MLPSimCCHaed'", "'MLPSimCCHead'")]),
    (lambda c: c.optim_wrapper.optimizer.update(type='Adma'), [
        ('optim_wrapper.optimizer.type', "'Adma'", "'Adam'")]),
    # MMPose reads a .pkl box file with plain pickle: code from the file would run
    (lambda c: c.val_dataloader.dataset.update(bbox_file='dets.pkl'), [
        ('val_dataloader.dataset.bbox_file=dets.pkl', 'pickle', 'JSON')]),
])
def test_each_problem_names_where_and_what_to_set(squares, change, problems):
    cfg = squares_cfg(squares)
    change(cfg)
    with pytest.raises(DatasetCheckError) as err:
        check_config_against_data(cfg, progress=False)
    lines = str(err.value).split('\n  - ')[1:]
    assert len(lines) >= len(problems)
    for facts in problems:
        assert any(all(f in line for f in facts) for line in lines), (facts, lines)


def test_consistent_config_passes(squares):
    reports = check_config_against_data(squares_cfg(squares), progress=False)
    assert [r['keypoints'] for r in reports.values()] == [5, 5]


def test_any_input_size_with_the_measured_feature_map_passes(squares):
    """96 x 80 is not a multiple of 32 and trains: the head states ceil(80 / 32) = 3."""
    cfg = squares_cfg(squares)
    _set_input_size(cfg, (96, 80))
    cfg.test_dataloader = cfg.val_dataloader
    assert check_config(cfg) == []


@pytest.mark.parametrize('config', sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '/_base_/' not in p), ids=lambda p: osp.relpath(p, REPO))
def test_every_repo_config_passes_the_static_checks(config):
    """No false alarms: the shipped configs are consistent (the backbone build is skipped)."""
    assert check_config(Config.fromfile(config), build_backbone=False) == []


# ---- data files MMPose would load with a code-running reader (.yaml / .pkl): refused ----

def _wrap_train(cfg, name):
    """The training set inside a CombinedDataset, whose member has a box file ``name``."""
    inner = cfg.train_dataloader.dataset
    inner.bbox_file = name
    cfg.train_dataloader.dataset = dict(type='CombinedDataset', metainfo=inner.metainfo,
                                        datasets=[inner], pipeline=[])


@pytest.mark.parametrize('change,where', [  # where the file is set -> the path the line names
    (lambda c, n: c.val_dataloader.dataset.update(bbox_file=n),
     'val_dataloader.dataset.bbox_file='),
    (lambda c, n: c.train_dataloader.dataset.update(ann_file=n),
     'train_dataloader.dataset.ann_file='),
    (lambda c, n: c.val_evaluator.update(ann_file=n), 'val_evaluator.ann_file='),
    (lambda c, n: c.update(test_evaluator=[dict(type='CocoMetric', ann_file=n)]),
     'test_evaluator[0].ann_file='),
    (_wrap_train, 'train_dataloader.dataset.datasets[0].bbox_file='),
])
@pytest.mark.parametrize('name,why', [
    ('dets.yaml', 'PyYAML'), ('dets.yml', 'PyYAML'), ('dets.pkl', 'pickle'),
    ('dets.pickle', 'pickle'), ('dets.txt', 'only .json'),
])
def test_data_files_that_are_not_json_are_refused(squares, change, where, name, why):
    cfg = squares_cfg(squares)
    change(cfg, name)
    lines = check_data_files(cfg)
    assert len(lines) == 1, lines
    assert lines[0].startswith(where + name) and why in lines[0]
    assert 'not a .json file' in lines[0] and 'convert it to COCO-format JSON' in lines[0]
    assert lines[0] in check_config(cfg, build_backbone=False)


def test_other_code_running_data_files_are_refused_json_passes(squares):
    cfg = squares_cfg(squares)
    assert check_data_files(cfg) == []  # every ann_file is .json; no bbox_file
    cfg.train_dataloader.dataset.ann_file = 'h36m_train.npz'  # MMPose's mocap sets: np.load
    assert check_data_files(cfg) == []
    cfg.val_dataloader.dataset.bbox_file = 'dets.npz'  # a box file is read as JSON only
    assert len(check_data_files(cfg)) == 1
    del cfg.val_dataloader.dataset.bbox_file
    cfg.val_dataloader.dataset.camera_param_file = 'cameras.pkl'  # e.g. a 3D dataset's
    assert check_data_files(cfg) == [
        'val_dataloader.dataset.camera_param_file=cameras.pkl: refused, not a .json file: '
        'MMPose would read it with mmengine.fileio.load, that is pickle (unpickling runs code '
        'from the file), and data files are untrusted; convert it to COCO-format JSON (e.g. '
        'json.dump of the same list or dict) in a file ending in .json and point '
        'camera_param_file at it']


def _yaml_box_config(squares, tmp_path):
    """The squares config with a YAML box file that creates ``marker`` if anything loads it."""
    marker = tmp_path / 'payload_ran'
    box = tmp_path / 'dets.yaml'
    box.write_text(f'!!python/object/apply:builtins.open ["{marker}", "w"]\n')
    cfg = squares_cfg(squares)
    cfg.val_dataloader.dataset.bbox_file = str(box)
    cfg.test_dataloader = cfg.val_dataloader
    return cfg, marker


def test_yaml_box_file_is_refused_and_not_read(squares, tmp_path):
    cfg, marker = _yaml_box_config(squares, tmp_path)
    with pytest.raises(DatasetCheckError) as err:
        check_config_against_data(cfg, progress=False, build_backbone=False)
    lines = str(err.value).split('\n  - ')[1:]
    assert len(lines) == 2 and all('dets.yaml: refused, not a .json file' in x for x in lines)
    assert not marker.exists()
    # the control: MMPose building that dataset runs the payload
    from mmengine.registry import DefaultScope
    from mmpose.registry import DATASETS
    with DefaultScope.overwrite_default_scope('mmpose'):
        with pytest.raises(Exception):  # the payload's return is not a list of boxes
            DATASETS.build(cfg.val_dataloader.dataset)
    assert marker.exists()


@pytest.mark.parametrize('name,argv', [
    ('train.py', []),
    ('train.py', ['--no-preflight']),  # not skippable: it is not a setting that cannot fit
    ('test.py', ['CKPT']),
])
def test_train_and_test_refuse_before_mmpose_reads_the_file(squares, tmp_path, monkeypatch,
                                                            capsys, name, argv):
    """tools/train.py and tools/test.py (run_checked_mmpose_tool) stop before MMPose runs."""
    from eba_tools import checked_tools
    cfg, marker = _yaml_box_config(squares, tmp_path)
    cfg.dump(str(tmp_path / 'cfg.py'))
    (tmp_path / 'x.pth').write_bytes(b'')
    started = []
    monkeypatch.setattr(checked_tools, 'run_mmpose_tool', lambda *a: started.append(a))
    argv = [str(tmp_path / 'cfg.py')] + [str(tmp_path / 'x.pth') if a == 'CKPT' else a
                                          for a in argv] + ['--work-dir', str(tmp_path / 'w')]
    with pytest.raises(SystemExit) as exit_:
        checked_tools.run_checked_mmpose_tool(
            name, ['config'] if name == 'train.py' else ['config', 'checkpoint'], argv,
            preflight=(lambda *a: 0) if name == 'train.py' else None)
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 1 and started == [] and not marker.exists()
    assert err[0].startswith(f'tools/{name}: error: val_dataloader.dataset.bbox_file=')
    assert 'dets.yaml: refused, not a .json file' in err[0] and 'COCO-format JSON' in err[0]
    assert err[-1] == f'tools/{name}: 2 data file(s) above refused, nothing started'
