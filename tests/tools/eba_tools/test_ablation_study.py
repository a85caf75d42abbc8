"""The ablation study's definition: each variant config differs from the study's base config
only as stated; the steps are single changes; the time-left estimate; the run config of one
(variant, seed) and its child-process command line."""
import os.path as osp

import pytest
from mmengine.config import Config

from eba_tools import REPO
from eba_tools.ablation_study import (CHAIN, PLAN, QUICK_BUDGET, STEPS, VARIANT_BY_KEY,
                                      VARIANTS, Budget, StudyClock, build_run_config,
                                      child_command, load_results, plan_runs, run_study)

BASE = osp.join(REPO, 'configs', 'ablation', 'synthhard',
                'base_simcc_eba-res18-mlp_1xb32_synthhard-96x72.py')


def _model(key):
    return Config.fromfile(osp.join(REPO, VARIANT_BY_KEY[key].config)).to_dict()['model']


def test_variant_configs_differ_from_the_base_only_as_stated():
    base = Config.fromfile(BASE).to_dict()
    assert {v.key for v in VARIANTS} == set(CHAIN) == set('abcdegh')
    for v in VARIANTS:
        cfg = Config.fromfile(osp.join(REPO, v.config)).to_dict()
        # one budget: everything but the model is the base's (EMA, schedule, data, input size)
        assert {k: x for k, x in cfg.items() if k != 'model'} == \
            {k: x for k, x in base.items() if k != 'model'}, v.key
    assert any(h['type'] == 'EMAHook' for h in base['custom_hooks'])
    bm = base['model']
    m = {k: _model(k) for k in CHAIN}
    assert m['d'] == bm
    assert bm['head']['loss'] == dict(type='EBAKLDiscretLoss', use_target_weight=True,
                                      beta=10.0, label_softmax=True, bin_reduction='mean')
    for key in 'abc':  # one loss in (a)-(d)
        assert m[key]['head']['loss'] == bm['head']['loss'], key
    stock = dict(type='ResNet', depth=18, base_channels=16, stem_channels=16)
    assert m['a']['backbone'] == m['b']['backbone'] == stock
    assert m['a']['head']['type'] == 'SimCCHead'
    assert {k: x for k, x in m['a']['head'].items() if k != 'type'} == \
        {k: x for k, x in bm['head'].items()
         if k not in ('type', 'num_mlp_layers', 'mlp_hidden_channels')}
    # each step changes one thing
    assert m['b'] == dict(bm, backbone=stock)
    assert m['c'] == dict(bm, backbone=dict(bm['backbone'],
                                            act_cfg=dict(type='ReLU', inplace=True)))
    assert m['e'] == dict(bm, backbone=dict(bm['backbone'], num_bridged=1))
    assert m['g'] == dict(bm, head=dict(bm['head'], loss=dict(bm['head']['loss'],
                                                              bin_reduction='sum')))
    # (h): x:y 1:1 at the scale of 'mean': a_x / Bx = a_y / By with Bx = 144, By = 192
    ax, ay = m['h']['head']['loss']['axis_weights']
    assert ax / 144 == pytest.approx(ay / 192) and (ax + ay) / 2 == pytest.approx(1.0)
    assert m['h'] == dict(bm, head=dict(bm['head'], loss=dict(bm['head']['loss'],
                                                              axis_weights=(ax, ay))))
    assert [(a, b) for a, b, _ in STEPS] == [('a', 'b'), ('b', 'c'), ('c', 'd'), ('d', 'g'),
                                             ('d', 'h'), ('d', 'e')]
    assert all(VARIANT_BY_KEY[b].parent == a for a, b, _ in STEPS)


def test_study_clock_projects_the_current_pace():
    clock = StudyClock(num_runs=4)
    clock.finished.append(1000.0)  # a slow first run under load does not dominate the estimate
    # 10 of 30 epochs in 60 s: 180 s per run, 120 s left in this one, 2 runs after it
    assert clock.left(60.0, 10, 30) == pytest.approx((120.0, 480.0))
    # a child process knows only its own run; the parent prints the study's time left
    assert StudyClock(num_runs=None).left(60.0, 10, 30) == (pytest.approx(120.0), None)


def test_run_config_is_paired_by_seed_and_has_the_budget_and_paths(tmp_path):
    cfgs = [build_run_config(VARIANT_BY_KEY[k], 3, QUICK_BUDGET, str(tmp_path / 'run'),
                             str(tmp_path / 'data'), REPO) for k in 'ad']
    for cfg in cfgs:
        assert cfg.randomness.seed == 3 and cfg.train_dataloader.sampler.seed == 3
        assert cfg.train_cfg.max_epochs == QUICK_BUDGET.epochs
        assert cfg.train_dataloader.dataset.data_root == str(tmp_path / 'data') + '/'
        assert cfg.val_evaluator.ann_file.startswith(str(tmp_path / 'data'))
        assert 'bbox_file' not in cfg.val_dataloader.dataset  # ground-truth boxes
        assert cfg.train_dataloader.num_workers == 0
        assert not cfg.train_dataloader.persistent_workers
        assert cfg.default_hooks.checkpoint.save_optimizer is False
        assert any(h.type == 'ExactResumeHook' for h in cfg.custom_hooks)


def test_child_command_carries_the_budget():
    b = Budget(epochs=7, num_train=11, num_val=5, val_interval=2, data_seed=4)
    cmd = child_command('g', 3, b, 'tag', '/r.json', '/w', '/d', REPO, 0)
    assert cmd[1].endswith(osp.join('tools', 'analysis', 'ablation.py'))
    s = ' '.join(cmd[2:])
    assert '--run-one g 3' in s and '--epochs 7 --num-train 11 --num-val 5 --val-interval 2 ' \
        '--data-seed 4' in s and '--threads 1' in s and '--record /r.json' in s


def test_unknown_variant_and_another_budget_are_refused(tmp_path):
    with pytest.raises(ValueError, match="'z'"):
        run_study(['z'], [0], QUICK_BUDGET, str(tmp_path / 'a.json'), str(tmp_path), '', REPO)
    (tmp_path / 'a.json').write_text('{"runs": [{"variant": "a"}], "variants": {}, '
                                     '"budget": {"epochs": 99}}')
    with pytest.raises(ValueError, match='--out'):
        run_study(['a'], [0], QUICK_BUDGET, str(tmp_path / 'a.json'), str(tmp_path), '', REPO)


def test_runs_are_planned_seed_major_for_shared_or_per_variant_seeds():
    assert plan_runs(['a', 'd'], [1, 0]) == [('a', 0), ('d', 0), ('a', 1), ('d', 1)]
    assert plan_runs(['a', 'd'], dict(a=(0,), d=(0, 1, 2))) == \
        [('a', 0), ('d', 0), ('d', 1), ('d', 2)]
    with pytest.raises(ValueError, match=r"no seeds given for variant\(s\) \['d'\]"):
        plan_runs(['a', 'd'], dict(a=(0,)))


def test_default_plan_is_the_committed_study():
    """``ablation.py`` without --variants/--seeds reproduces exactly the runs the JSON holds."""
    committed = load_results(osp.join(REPO, 'benchmarks', 'ablation_v2.json'))['runs']
    assert sorted((r['variant'], r['seed']) for r in committed) == \
        sorted(plan_runs(list(CHAIN), PLAN))
