"""torch >= 2.6 loads with weights_only=True by default; MMEngine 0.10.7 relies on the old default.

These tests train a tiny model with a real MMEngine ``Runner``, then resume from and load the
checkpoint it saved, with safe loading still on (``weights_only=True`` and an allow-list).
"""
import subprocess
import sys

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import CheckpointLoader, Runner
from torch import nn


class ToyModel(BaseModel):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=(out - torch.stack(labels)).square().mean())
        return out


DATA = [dict(inputs=torch.tensor([float(i), 1.0]), labels=torch.tensor([2.0 * i]))
        for i in range(8)]


def make_runner(work_dir, max_iters, resume=False):
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=DATA, sampler=dict(type='DefaultSampler', shuffle=True),
                              batch_size=2, collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.01)),
        param_scheduler=dict(type='MultiStepLR', milestones=[3], by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        resume=resume, randomness=dict(seed=0), default_scope='mmengine')


@pytest.fixture(scope='module')
def saved_checkpoint(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('toy')
    runner = make_runner(work_dir, max_iters=2)
    runner.train()
    return work_dir, work_dir / 'iter_2.pth'


LOAD = 'from mmengine.runner import CheckpointLoader; CheckpointLoader.load_checkpoint({!r})'


def test_mmengine_alone_cannot_load_its_checkpoint_under_torch_2_6(saved_checkpoint):
    """The failure this module fixes is real."""
    _, ckpt = saved_checkpoint
    res = subprocess.run([sys.executable, '-c', LOAD.format(str(ckpt))], capture_output=True,
                         text=True)
    assert res.returncode != 0 and 'weights_only' in res.stderr
    res = subprocess.run([sys.executable, '-c', 'import eba_prnetcc_mmpose; '
                          + LOAD.format(str(ckpt))], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_checkpoint_loads_safely_with_the_plugin(saved_checkpoint):
    _, ckpt = saved_checkpoint
    state = CheckpointLoader.load_checkpoint(str(ckpt), map_location='cpu')
    assert state['meta']['iter'] == 2 and 'message_hub' in state
    # the allow-list is scoped to MMEngine's loader: plain torch.load is as strict as before
    with pytest.raises(Exception, match='weights_only'):
        torch.load(ckpt, weights_only=True)


def test_resume_restores_iteration_optimizer_and_scheduler(saved_checkpoint):
    work_dir, ckpt = saved_checkpoint
    saved = CheckpointLoader.load_checkpoint(str(ckpt), map_location='cpu')
    runner = make_runner(work_dir, max_iters=4, resume=True)
    runner.load_or_resume()
    assert runner.iter == 2
    adam_state = runner.optim_wrapper.optimizer.state_dict()['state']
    torch.testing.assert_close(adam_state[0]['exp_avg'], saved['optimizer']['state'][0]['exp_avg'])
    assert saved['param_schedulers'][0]['last_step'] >= 1  # a fresh scheduler starts at 0
    assert runner.param_schedulers[0].last_step == saved['param_schedulers'][0]['last_step']
    runner.train()
    assert runner.iter == 4


class NotAllowed:
    """An arbitrary class: safe loading must keep refusing it."""


def test_unknown_classes_are_still_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'x': NotAllowed()}, path)
    with pytest.raises(Exception, match='weights_only'):
        CheckpointLoader.load_checkpoint(str(path))
