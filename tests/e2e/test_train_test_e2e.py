"""End to end through stock MMPose entry points on a tiny synthetic COCO set (CPU).

MMPose's own ``tools/train.py`` / ``tools/test.py`` (shipped in the installed package) and this
repo's mirrors drive the demo config; resume restores iteration, optimizer and scheduler state;
two ``torchrun`` processes train and test with gloo.
"""
import os
import os.path as osp
import re
import socket
import sys

import pytest
import torch
from mmengine.runner import CheckpointLoader

from eba_tools import REPO as ROOT
from eba_tools.launch import mmpose_tool

from e2e_helpers import BATCH, run_command, tiny_setup

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """A tiny synthetic set (16 training images) and a 1-epoch config, checkpoint every epoch."""
    return tiny_setup(tmp_path_factory.mktemp('e2e'), 16, seed=1,
                      checkpoint=dict(interval=1, max_keep_ckpts=5), logger=dict(interval=1))


def run(cmd, env=None):
    return run_command(cmd, env)


def test_stock_mmpose_tools_train_then_test_from_checkpoint(tiny):
    work = tiny['tmp'] / 'stock'
    run([sys.executable, mmpose_tool('train.py'), tiny['cfg'], '--work-dir', str(work)])
    ckpt = work / 'epoch_1.pth'
    assert ckpt.is_file()
    out = run([sys.executable, mmpose_tool('test.py'), tiny['cfg'], str(ckpt), '--work-dir',
               str(work / 'test')])
    assert re.search(r'coco/AP: [0-9.]+', out)


def test_repo_tools_resume_restores_iteration_optimizer_scheduler(tiny):
    work = tiny['tmp'] / 'resume'
    n = tiny['iters_per_epoch']
    train = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), tiny['cfg'], '--work-dir',
             str(work)]
    run(train)
    first = CheckpointLoader.load_checkpoint(str(work / 'epoch_1.pth'))
    assert first['meta']['iter'] == n
    out = run(train + ['--resume', '--cfg-options', 'train_cfg.max_epochs=2'])
    assert f'resumed epoch: 1, iter: {n}' in out
    second = CheckpointLoader.load_checkpoint(str(work / 'epoch_2.pth'))
    assert second['meta']['iter'] == 2 * n
    # Adam's step count continues from the first run: the optimizer state was restored
    steps = {int(s['step']) for s in second['optimizer']['state'].values()}
    assert steps == {2 * n}
    # the warm-up scheduler (by iteration) continued too
    assert second['param_schedulers'][0]['last_step'] == 2 * n
    out = run([sys.executable, osp.join(ROOT, 'tools', 'test.py'), tiny['cfg'],
               str(work / 'epoch_2.pth'), '--work-dir', str(work / 'test')])
    assert re.search(r'coco/AP: [0-9.]+', out)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason='needs gloo')
def test_two_process_distributed_train_and_test(tiny):
    work = tiny['tmp'] / 'dist'
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()))
    out = run(['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), tiny['cfg'], '2', '--work-dir',
               str(work)], env=env)
    assert 'Distributed training: True' in out
    ckpt = work / 'epoch_1.pth'
    # each of the 2 ranks saw half of the data: half the iterations of a 1-process epoch
    per_rank = -(-tiny['n_train'] // 2)  # DefaultSampler pads to a multiple of world size
    assert CheckpointLoader.load_checkpoint(str(ckpt))['meta']['iter'] == -(-per_rank // BATCH)
    env['PORT'] = str(free_port())
    out = run(['bash', osp.join(ROOT, 'tools', 'dist_test.sh'), tiny['cfg'], str(ckpt), '2',
               '--work-dir', str(work / 'test')], env=env)
    assert re.search(r'coco/AP: [0-9.]+', out)
