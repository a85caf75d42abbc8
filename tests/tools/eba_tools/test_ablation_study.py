"""The ablation study's definition: each variant config differs from the demo config only as
stated; the time-left estimate; the run config of one (variant, seed)."""
import os.path as osp

import pytest
from mmengine.config import Config

from eba_tools import DEMO_CONFIG, REPO
from eba_tools.ablation_study import (QUICK_BUDGET, VARIANT_BY_KEY, VARIANTS, StudyClock,
                                      build_run_config, run_study)


def test_variant_configs_differ_from_the_demo_only_as_stated():
    demo = Config.fromfile(DEMO_CONFIG).to_dict()
    assert {v.key for v in VARIANTS} == set('abcdef')
    cfgs = {}
    for v in VARIANTS:
        cfg = Config.fromfile(osp.join(REPO, v.config)).to_dict()
        # one budget: everything but the model is the demo's
        assert {k: x for k, x in cfg.items() if k != 'model'} == \
            {k: x for k, x in demo.items() if k != 'model'}, v.key
        assert {k: x for k, x in cfg['model'].items() if k not in ('backbone', 'head')} == \
            {k: x for k, x in demo['model'].items() if k not in ('backbone', 'head')}, v.key
        cfgs[v.key] = cfg['model']
    dm = demo['model']
    assert cfgs['d'] == dm
    loss_settings = {k: x for k, x in dm['head']['loss'].items() if k != 'type'}
    for key in 'abcdef':
        loss = cfgs[key]['head']['loss']
        assert {k: x for k, x in loss.items() if k != 'type'} == loss_settings, key
        assert loss['type'] == ('EBAKLDiscretLoss' if key in 'de' else 'KLDiscretLoss'), key
    for key in 'ab':  # stock MMPose ResNet at the demo's widths
        assert cfgs[key]['backbone'] == dict(type='ResNet', depth=18, base_channels=32,
                                             stem_channels=32)
    a_head = cfgs['a']['head']
    assert a_head['type'] == 'SimCCHead'
    assert {k: x for k, x in a_head.items() if k not in ('type', 'loss')} == \
        {k: x for k, x in dm['head'].items()
         if k not in ('type', 'loss', 'num_mlp_layers', 'mlp_hidden_channels')}
    assert cfgs['b']['head'] == dict(dm['head'], loss=cfgs['b']['head']['loss'])
    assert cfgs['c']['backbone'] == dict(dm['backbone'], act_cfg=dict(type='ReLU', inplace=True))
    assert cfgs['e']['backbone'] == dict(dm['backbone'], num_bridged=1)
    assert cfgs['f'] == dict(dm, head=dict(dm['head'], loss=dict(loss_settings,
                                                                    type='KLDiscretLoss')))


def test_study_clock_projects_the_current_pace():
    clock = StudyClock(num_runs=4)
    clock.finished.append(1000.0)  # a slow first run under load does not dominate the estimate
    # 10 of 30 epochs in 60 s: 180 s per run, 120 s left in this one, 2 runs after it
    assert clock.left(60.0, 10, 30) == pytest.approx((120.0, 480.0))


def test_run_config_has_the_budget_seed_and_paths(tmp_path):
    cfg = build_run_config(VARIANT_BY_KEY['a'], 3, QUICK_BUDGET, str(tmp_path / 'run'),
                           str(tmp_path / 'data'), REPO, num_workers=0)
    assert cfg.randomness.seed == 3 and cfg.train_cfg.max_epochs == QUICK_BUDGET.epochs
    assert cfg.train_dataloader.dataset.data_root == str(tmp_path / 'data') + '/'
    assert cfg.val_evaluator.ann_file.startswith(str(tmp_path / 'data'))
    assert not cfg.train_dataloader.persistent_workers
    assert cfg.default_hooks.checkpoint.save_optimizer is False


def test_unknown_variant_and_another_budget_are_refused(tmp_path):
    with pytest.raises(ValueError, match="'z'"):
        run_study(['z'], [0], QUICK_BUDGET, str(tmp_path / 'a.json'), str(tmp_path), '', REPO)
    (tmp_path / 'a.json').write_text('{"runs": [{"variant": "a"}], "variants": {}, '
                                     '"budget": {"epochs": 99}}')
    with pytest.raises(ValueError, match='--out'):
        run_study(['a'], [0], QUICK_BUDGET, str(tmp_path / 'a.json'), str(tmp_path), '', REPO)
