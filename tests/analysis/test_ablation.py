"""The ablation tool: its statistics against hand-computed values, its configs, and quick mode."""
import json
import math
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from eba_prnetcc_mmpose.analysis.ablation import (README_END, README_START, VARIANTS, StudyClock,
                                                  _set_epochs, mean_std, results_table,
                                                  summarize, update_marked_block, welch_interval)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'configs', 'demo', 'simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py')


def test_mean_std_hand_computed():
    assert mean_std([0.1, 0.2, 0.3]) == pytest.approx((0.2, 0.1))
    assert mean_std([0.5]) == (0.5, 0.0)
    with pytest.raises(ValueError):
        mean_std([])


def test_welch_interval_equal_spread_is_integer_df():
    # x = 1,2,3 and y = 2,3,4: variances 1 and 1, se = sqrt(1/3 + 1/3), df = 4 exactly,
    # t_{0.975, 4} = 2.776445 (printed tables: 2.776).
    w = welch_interval([1, 2, 3], [2, 3, 4])
    se = math.sqrt(2 / 3)
    assert w['diff'] == pytest.approx(-1.0)
    assert w['se'] == pytest.approx(se)
    assert w['df'] == pytest.approx(4.0)
    assert w['t'] == pytest.approx(2.776445, abs=1e-6)
    assert (w['low'], w['high']) == pytest.approx((-1 - 2.776445 * se, -1 + 2.776445 * se),
                                                  abs=1e-5)
    assert w['inside_noise']


def test_welch_interval_unequal_spread():
    # x = 1,2,3 (var 1, n 3), y = 4,5,6,7 (var 5/3, n 4): vx = 1/3, vy = 5/12, se^2 = 3/4,
    # df = (3/4)^2 / ((1/3)^2/2 + (5/12)^2/3) = 0.5625 / 0.1134259 = 4.95918...
    w = welch_interval([1, 2, 3], [4, 5, 6, 7])
    assert w['diff'] == pytest.approx(-3.5)
    assert w['se'] == pytest.approx(math.sqrt(0.75))
    assert w['df'] == pytest.approx(4.95918, abs=1e-5)
    assert 2.5706 < w['t'] < 2.7764  # between the t_{0.975} table values for df 5 and df 4
    assert w['high'] < 0 and not w['inside_noise']
    with pytest.raises(ValueError, match='>= 2 values'):
        welch_interval([1.0], [1.0, 2.0])


def _run(variant, seed, ap):
    return {'variant': variant, 'seed': seed, 'coco/AP': ap, 'coco/AP .5': ap + 0.3,
            'coco/AP .75': ap / 2, 'coco/AR': ap + 0.1, 's_per_epoch': 5.0, 'train_time_s': 150.0,
            'ap_per_epoch': [[5, ap / 2], [10, ap]]}


def test_summarize_and_tables_report_noise_plainly(tmp_path):
    results = dict(
        budget=dict(epochs=10, num_train=20, num_val=5, val_interval=5, data_seed=0),
        variants={k: dict(params=1_000_000 * (i + 1), macs=100_000_000) for i, k in
                  enumerate('abc')},
        runs=[_run('a', s, ap) for s, ap in enumerate([0.10, 0.11, 0.12])]
        + [_run('b', s, ap) for s, ap in enumerate([0.11, 0.13, 0.12])]      # +0.01: noise
        + [_run('c', s, ap) for s, ap in enumerate([0.30, 0.31, 0.32])])     # +0.20: real
    rows = summarize(results)
    assert [r['key'] for r in rows] == ['a', 'b', 'c']
    assert rows[0]['vs_ref'] is None and rows[0]['ap_mean'] == pytest.approx(0.11)
    assert rows[1]['vs_ref']['inside_noise'] and rows[1]['vs_ref']['diff'] == pytest.approx(0.01)
    assert not rows[2]['vs_ref']['inside_noise'] and rows[2]['vs_ref']['low'] > 0
    assert rows[2]['vs_parent']['diff'] == pytest.approx(0.19)  # (c) against its parent (b)
    table = results_table(rows)
    assert '0.110 ± 0.010 (n=3)' in table and 'inside the noise' in table
    assert 'higher than (a)' in table and '| 1.00 M | 100.0 M | 5.0 |' in table

    readme = tmp_path / 'README.md'
    readme.write_text(f'intro\n{README_START}\nold table\n{README_END}\noutro\n')
    update_marked_block(str(readme), 'new table\n')
    assert readme.read_text() == f'intro\n{README_START}\nnew table\n{README_END}\noutro\n'
    readme.write_text('no markers\n')
    with pytest.raises(ValueError, match='ablation:start'):
        update_marked_block(str(readme), 'x')


def test_variant_configs_differ_from_the_demo_only_as_stated():
    demo = Config.fromfile(DEMO).to_dict()
    assert {v.key for v in VARIANTS} == set('abcdef')
    cfgs = {}
    for v in VARIANTS:
        cfg = Config.fromfile(osp.join(ROOT, v.config)).to_dict()
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


@pytest.mark.parametrize('epochs', [1, 30, 50])
def test_set_epochs_keeps_the_cosine_schedule_over_the_whole_run(epochs):
    cfg = Config.fromfile(DEMO)
    _set_epochs(cfg, epochs)
    warmup, cosine = cfg.param_scheduler
    assert cfg.train_cfg.max_epochs == epochs
    assert (cosine.end, cosine.T_max) == (epochs, epochs)
    assert warmup.end == 50 and not warmup.by_epoch  # iteration-based warm-up unchanged


def _tool(*args):
    res = subprocess.run([sys.executable, 'tools/analysis/ablation.py', *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    return res.stdout


def test_quick_mode_writes_json_doc_figures_and_resumes(tmp_path):
    readme = tmp_path / 'README.md'
    readme.write_text(f'# demo\n{README_START}\n{README_END}\nrest\n')
    args = ['--quick', '--out', str(tmp_path / 'ablation.json'), '--doc',
            str(tmp_path / 'ablation.md'), '--work-dir', str(tmp_path / 'work'), '--readme',
            str(readme)]
    out = _tool(*args)
    assert '[ablation] run 1/1 (d)' in out and 'epoch 1/1' in out and 'left' in out

    res = json.loads((tmp_path / 'ablation.json').read_text())
    assert res['budget']['epochs'] == 1 and len(res['runs']) == 1
    run = res['runs'][0]
    assert (run['variant'], run['seed'], run['epochs']) == ('d', 0, 1)
    for key in ('train_time_s', 's_per_epoch', 'params', 'macs', 'coco/AP', 'coco/AP .5',
                'coco/AR', 'ap_per_epoch'):
        assert key in run, key
    assert 0.0 <= run['coco/AP'] <= 1.0 and run['ap_per_epoch'][-1] == [1, run['coco/AP']]
    assert run['params'] > 1e6 and run['macs'] > 1e7
    assert osp.isfile(osp.join(run['work_dir'], 'epoch_1.pth'))

    doc = (tmp_path / 'ablation.md').read_text()
    assert '(d) EBA-PRNetCC (demo)' in doc and 'Welch' in doc and 'generated by' in doc.lower()
    for png in ('ablation_ap.png', 'ablation_ap_epoch.png'):
        data = (tmp_path / png).read_bytes()
        assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 10000, png
    text = readme.read_text()
    assert text.startswith(f'# demo\n{README_START}\n') and text.endswith(f'{README_END}\nrest\n')
    assert '| (d) EBA-PRNetCC (demo) |' in text

    # resumable: the finished (variant, seed) is not trained again
    again = _tool(*args)
    assert '0 runs to train (1 already in' in again and 'epoch 1/1' not in again
    assert len(json.loads((tmp_path / 'ablation.json').read_text())['runs']) == 1
