"""Exact resume: a run resumed from an epoch checkpoint replays the uninterrupted run."""
import logging

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmpose.registry import HOOKS

from ..seeding import SeededPrepareData, seed_main_process

#: Written into ``checkpoint['meta']`` (a plain string, as the restricted loader wants).
SCHEME = 'seed-epoch-sample/1'


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Makes every random draw of training a function of (seed, epoch, sample index), so that a
    run killed at any point and resumed from its last epoch checkpoint ends with the same
    weights as the same run uninterrupted (bit-exact on CPU, tests/engine/test_exact_resume.py).

    What is random in an MMPose training run, and what this hook does about it:

    - the sampler's shuffle: MMEngine's ``DefaultSampler`` already draws it from
      ``seed + epoch``, and ``Runner.resume`` restores the seed and the epoch;
    - the augmentation (``RandomFlip``, ``RandomBBoxTransform``, ... draw from
      ``numpy.random``): without this hook it comes from each worker's generator, seeded once
      per worker start (``seed + worker_id``), so it depends on when the workers started (every
      epoch, or once with ``persistent_workers``) and, with ``num_workers=0``, on everything the
      main process drew before. The hook seeds each sample's pipeline from
      ``(seed, epoch, index)`` instead, whichever worker or process loads it
      (:class:`~eba_prnetcc_mmpose.engine.seeding.SeededPrepareData`);
    - the main process's generators (dropout and any other draw in the model or hooks): reseeded
      from ``(seed, epoch)`` at the start of every epoch.

    Nothing random is carried from one epoch to the next, so a checkpoint needs no generator
    states; the hook only marks the checkpoints it wrote (``meta['exact_resume']``) and warns when
    a resumed checkpoint lacks the mark. Requires an epoch-based loop (MMEngine restarts an
    interrupted epoch from its first batch, so only epoch checkpoints resume exactly) and a
    dataset with ``prepare_data`` (MMEngine/MMPose datasets; for dataset wrappers without it the
    augmentation stays as MMEngine makes it, said in the log).
    """

    priority = 'VERY_HIGH'

    def __init__(self):
        self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()
        self._restore = None
        self.active = False

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        if not isinstance(loop, EpochBasedTrainLoop):
            print_log(f'ExactResumeHook: {type(loop).__name__} is not an EpochBasedTrainLoop; '
                      'randomness left as MMEngine makes it (exact resume not guaranteed)',
                      logger='current', level=logging.WARNING)
            return
        self.active = True
        dataset = loop.dataloader.dataset
        prepare = getattr(dataset, 'prepare_data', None)
        if prepare is None:
            print_log(f'ExactResumeHook: {type(dataset).__name__} has no prepare_data; its '
                      'augmentation is not seeded per sample (resume is exact only with '
                      'num_workers=0 or persistent_workers=False)',
                      logger='current', level=logging.WARNING)
            return
        if isinstance(prepare, SeededPrepareData):  # a second train() with the same dataset
            prepare = prepare.prepare_data
        self._restore = (dataset, dataset.__dict__.get('prepare_data'))
        dataset.prepare_data = SeededPrepareData(prepare, runner.seed, self._epoch)

    def before_train_epoch(self, runner) -> None:
        if not self.active:
            return
        self._epoch[0] = runner.epoch  # before the epoch's iterator hands indices to workers
        seed_main_process(runner.seed, runner.epoch)

    def after_train(self, runner) -> None:
        if self._restore is not None:  # leave the dataset as found
            dataset, own = self._restore
            if own is None or isinstance(own, SeededPrepareData):
                dataset.__dict__.pop('prepare_data', None)
            else:
                dataset.prepare_data = own
            self._restore = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.active:
            checkpoint.setdefault('meta', {})['exact_resume'] = SCHEME

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not getattr(runner, '_resume', False):
            return  # load_from (fine-tuning): nothing to replay
        mark = (checkpoint.get('meta') or {}).get('exact_resume')
        if mark != SCHEME:
            print_log('ExactResumeHook: the resumed checkpoint was written by a run without this '
                      'hook; the epochs from here on are those of a run with it, not a replay of '
                      'the run that wrote the checkpoint', logger='current',
                      level=logging.WARNING)
