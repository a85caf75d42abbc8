"""CPUThreadsHook: sets the main process's torch threads (the environment wins), and writes one
warning line, with what to set, when its threads wait for a core; the CPU configs enable it."""
import os.path as osp
import time
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmpose.registry import HOOKS

from eba_prnetcc_mmpose.engine import CPUThreadsHook
from eba_prnetcc_mmpose.engine.cpu_load import CPUWaitMeter, oversubscription_advice
from eba_prnetcc_mmpose.engine.hooks import cpu_threads_hook

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CPU_CONFIGS = ['configs/demo/simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py',
               'configs/custom/simcc_eba-res18-mlp_1xb16-30e_squares5-96x96.py']


@pytest.fixture
def threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def fake_runner(num_workers=2):
    return SimpleNamespace(cfg=Config(dict(train_dataloader=dict(num_workers=num_workers))))


def test_config_threads_apply_unless_the_environment_sets_them(threads, monkeypatch,
                                                               captured_log):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    torch.set_num_threads(2)
    CPUThreadsHook(num_threads=1).before_run(fake_runner())
    assert torch.get_num_threads() == 1
    assert 'torch 1 in the main process (config)' in captured_log[-1].getMessage()
    monkeypatch.setenv('OMP_NUM_THREADS', '2')
    torch.set_num_threads(2)
    CPUThreadsHook(num_threads=1).before_run(fake_runner())
    assert torch.get_num_threads() == 2
    assert '(OMP_NUM_THREADS)' in captured_log[-1].getMessage()


class FakeMeter:
    available = True
    wait = 0.0

    def read(self):
        return (self.wait, 1.0)


@pytest.mark.parametrize('wait,warns', [(0.05, False), (0.6, True)])
def test_one_warning_line_when_threads_wait_for_a_core(monkeypatch, captured_log, wait, warns):
    FakeMeter.wait = wait
    monkeypatch.setattr(cpu_threads_hook, 'CPUWaitMeter', FakeMeter)
    hook, runner = CPUThreadsHook(interval=2), fake_runner()
    hook.before_train(runner)
    for i in range(20):
        hook.after_train_iter(runner, i)
    lines = [r.getMessage() for r in captured_log if 'oversubscribed' in r.getMessage()]
    assert len(lines) == (1 if warns else 0)
    if warns:
        assert captured_log[-1].levelname == 'WARNING'
        assert 'waited for a core 60%' in lines[0] and 'over the last 2 iterations' in lines[0]


def test_start_up_window_is_not_judged(monkeypatch, captured_log):
    FakeMeter.wait = 0.9
    monkeypatch.setattr(cpu_threads_hook, 'CPUWaitMeter', FakeMeter)
    hook, runner = CPUThreadsHook(interval=5), fake_runner()
    hook.before_train(runner)
    for i in range(5):
        hook.after_train_iter(runner, i)
    assert not hook.warned
    for i in range(5):
        hook.after_train_iter(runner, i)
    assert hook.warned


def test_advice_says_what_to_set():
    many = oversubscription_advice(0.5, torch_threads=2, num_workers=2, cores=2, load=4.2)
    assert 'Set OMP_NUM_THREADS=1' in many and 'num_threads=1' in many
    assert 'train_dataloader.num_workers (now 2)' in many and '1-min load 4.2 on 2 cores' in many
    one = oversubscription_advice(0.4, torch_threads=1, num_workers=0, cores=2, load=None)
    assert 'already runs torch on 1 thread' in one and 'num_workers' not in one


def test_meter_reads_this_process():
    meter = CPUWaitMeter()
    if not meter.available:
        pytest.skip('no per-thread schedstat on this system')
    t = time.perf_counter()
    while time.perf_counter() - t < 0.05:
        pass
    wait, cpu_s = meter.read()
    assert 0.0 <= wait <= 1.0 and cpu_s > 0.0


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match='num_threads'):
        CPUThreadsHook(num_threads=0)
    with pytest.raises(ValueError, match='max_wait'):
        CPUThreadsHook(max_wait=1.5)


@pytest.mark.parametrize('config', CPU_CONFIGS)
def test_cpu_configs_set_threads_and_exact_resume(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    types = {h['type']: h for h in cfg.custom_hooks}
    assert types['CPUThreadsHook']['num_threads'] == 1
    assert 'ExactResumeHook' in types
    assert cfg.env_cfg.mp_cfg.opencv_num_threads == 0
    for h in cfg.custom_hooks:
        HOOKS.build(dict(h))
