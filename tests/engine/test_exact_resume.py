"""Exact resume (ExactResumeHook): a run stopped right after an epoch checkpoint (as a kill -9 would
leave it) and resumed ends with the same weights, bit for bit on CPU, and the same AP as the same
run uninterrupted; without the hook it does not (the control that shows the test can fail)."""
import copy
import random

import numpy as np
import pytest
import torch
from eba_tools import DEMO_CONFIG
from eba_tools.demo_job import set_data_root, set_epochs
from eba_tools.synthetic_coco import generate_synthetic_coco
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import CheckpointLoader, Runner

from eba_prnetcc_mmpose.engine.hooks.exact_resume_hook import SCHEME
from eba_prnetcc_mmpose.engine.seeding import SeededPrepareData

EPOCHS, STOP_AFTER = 3, 1


class Killed(Exception):
    pass


class StopAfterEpoch(Hook):
    """Raises right after the CheckpointHook saved epoch ``n`` (priority LOWEST runs last)."""

    def __init__(self, n):
        self.n = n

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.n:
            raise Killed


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    data = tmp_path_factory.mktemp('exact_resume') / 'data'
    generate_synthetic_coco(str(data), num_train=8, num_val=2, image_size=(128, 128), seed=1,
                            max_persons=2, progress=False)
    return data


def tiny_cfg(data, num_workers: int, hook: bool) -> Config:
    cfg = Config.fromfile(DEMO_CONFIG)
    set_data_root(cfg, str(data))
    set_epochs(cfg, EPOCHS)
    cfg.train_dataloader.update(batch_size=4, num_workers=num_workers,
                                persistent_workers=num_workers > 0)
    cfg.test_dataloader.update(batch_size=4, num_workers=0, persistent_workers=False)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=EPOCHS)
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if hook or h['type'] != 'ExactResumeHook']
    assert any(h['type'] == 'ExactResumeHook' for h in cfg.custom_hooks) == hook
    return cfg


def train(cfg: Config, work_dir, tag: str, resume_from=None, stop_after=None) -> Runner:
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = tag  # a fresh MessageHub / logger per run in this process
    cfg.visualizer.name = f'vis_{tag}'
    if resume_from is not None:
        cfg.update(resume=True, load_from=str(resume_from))
    runner = Runner.from_cfg(cfg)
    if stop_after is not None:
        runner.register_hook(StopAfterEpoch(stop_after), priority='LOWEST')
    try:
        runner.train()
    except Killed:
        pass
    return runner


def weights(runner: Runner) -> dict:
    return {k: v.detach().clone() for k, v in runner.model.state_dict().items()}


def interrupted_and_full(cfg, tmp_path, name):
    full = train(cfg, tmp_path / 'full', f'{name}_full')
    stopped = train(cfg, tmp_path / 'stopped', f'{name}_stopped', stop_after=STOP_AFTER)
    assert not (tmp_path / 'stopped' / f'epoch_{STOP_AFTER + 1}.pth').exists()
    ckpt = tmp_path / 'stopped' / f'epoch_{STOP_AFTER}.pth'
    del stopped
    resumed = train(cfg, tmp_path / 'stopped', f'{name}_resumed', resume_from=ckpt)
    assert resumed.epoch == full.epoch == EPOCHS
    return full, resumed, ckpt


def differing(a: dict, b: dict) -> list:
    assert a.keys() == b.keys()
    return [k for k in a if not torch.equal(a[k], b[k])]


@pytest.mark.slow
@pytest.mark.parametrize('num_workers', [0, 2], ids=['main-process', '2-persistent-workers'])
def test_resumed_run_ends_bit_exact(tiny_data, tmp_path, num_workers):
    cfg = tiny_cfg(tiny_data, num_workers, hook=True)
    full, resumed, ckpt = interrupted_and_full(cfg, tmp_path, f'exact{num_workers}')
    assert differing(weights(full), weights(resumed)) == []
    # the checkpoint holds only plain data and loads through the plugin's restricted loader
    assert CheckpointLoader.load_checkpoint(str(ckpt))['meta']['exact_resume'] == SCHEME
    if num_workers:  # the same AP too (CocoMetric on the val images)
        assert full.test() == resumed.test()


@pytest.mark.slow
def test_without_the_hook_the_resumed_run_differs(tiny_data, tmp_path):
    """The control: MMEngine restores epoch, optimizer and scheduler but the augmentation draws
    restart from the seed, so the weights come out different."""
    cfg = tiny_cfg(tiny_data, 0, hook=False)
    full, resumed, _ = interrupted_and_full(cfg, tmp_path, 'control')
    assert differing(weights(full), weights(resumed))


def test_sample_draws_depend_only_on_seed_epoch_index():
    def draws(idx):
        return (np.random.rand(), random.random(), torch.rand(1).item(), idx)

    epoch = torch.zeros(1, dtype=torch.int64)
    seeded = SeededPrepareData(draws, seed=7, epoch=epoch)
    np.random.seed(1)
    first = seeded(3)
    np.random.seed(2)  # whatever the process drew before
    random.seed(2)
    torch.manual_seed(2)
    assert seeded(3) == first
    np.random.seed(1)
    random.seed(1)
    torch.manual_seed(1)
    seeded(3)  # in the main process the global generators are left as they were
    after = np.random.get_state()[1], random.getstate(), torch.get_rng_state()
    np.random.seed(1)
    random.seed(1)
    torch.manual_seed(1)
    assert (np.array_equal(after[0], np.random.get_state()[1]) and after[1] == random.getstate()
            and torch.equal(after[2], torch.get_rng_state()))
    assert seeded(4)[:3] != first[:3]  # another sample
    epoch[0] = 1
    assert seeded(3)[:3] != first[:3]  # the same sample next epoch
    assert SeededPrepareData(draws, seed=8, epoch=epoch)(3)[:3] != seeded(3)[:3]  # another seed


class Draws(torch.utils.data.Dataset):
    """Calls ``self.prepare_data(idx)`` as MMEngine's BaseDataset does."""

    def __len__(self):
        return 6

    def prepare_data(self, idx):
        return np.random.rand()

    def __getitem__(self, idx):
        return self.prepare_data(idx)


def test_persistent_workers_follow_the_epoch():
    """Workers started once (persistent) see each new epoch through the shared tensor and draw
    what the main process draws for the same (seed, epoch, index)."""
    epoch = torch.zeros(1, dtype=torch.int64).share_memory_()
    ds, ref = Draws(), Draws()
    ds.prepare_data = SeededPrepareData(ds.prepare_data, seed=3, epoch=epoch)
    ref.prepare_data = SeededPrepareData(ref.prepare_data, seed=3, epoch=epoch)
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2,
                                         persistent_workers=True)
    seen = []
    for e in range(2):
        epoch[0] = e
        got = torch.cat(list(loader)).tolist()
        assert got == [ref[i] for i in range(6)]
        seen.append(got)
    assert seen[0] != seen[1]
