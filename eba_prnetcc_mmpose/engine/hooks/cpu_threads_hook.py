"""Torch threads of the training process, and one log line when the CPU is oversubscribed."""
import logging
import os
import time
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpose.registry import HOOKS

from ..cpu_load import CPUWaitMeter, load_average, oversubscription_advice, usable_cores


def apply_torch_threads(num_threads: Optional[int]) -> str:
    """Set the main process's torch intra-op threads to ``num_threads`` unless the environment
    already says (``OMP_NUM_THREADS`` wins, as for torch itself). Returns where the count came
    from: ``'OMP_NUM_THREADS'``, ``'config'`` or ``'torch default'``."""
    if os.environ.get('OMP_NUM_THREADS'):
        return 'OMP_NUM_THREADS'
    if num_threads is None:
        return 'torch default'
    torch.set_num_threads(int(num_threads))
    return 'config'


def _opencv_threads() -> Optional[int]:
    try:
        import cv2
        return cv2.getNumThreads()
    except ImportError:
        return None


@HOOKS.register_module()
class CPUThreadsHook(Hook):
    """Sets the training process's torch threads; says in one log line when the CPU is
    oversubscribed, what was measured and what to set.

    Data workers need no setting here: torch runs each DataLoader worker on one thread, and
    OpenCV's threads come from ``env_cfg.mp_cfg.opencv_num_threads`` (MMEngine, inherited by the
    workers). The main process is the one whose thread count matters: several torch threads
    that share cores with another busy process wait at every parallel region for the slowest
    thread (measured: 15x slower iterations on 2 cores, docs/train_test.md).

    Oversubscription is measured, not guessed: every ``interval`` training iterations the hook
    reads how long this process's threads were ready to run but waited for a core (Linux
    ``schedstat``). Above ``max_wait`` it logs one warning naming the wait, the load, the cores,
    the thread and worker counts and the setting to change; once per run. The first window
    (start-up) is not judged. On systems without ``/proc/<pid>/task/*/schedstat`` it only sets
    the threads.

    Args:
        num_threads (int, optional): Torch intra-op threads of the main process
            (``torch.set_num_threads``). ``OMP_NUM_THREADS`` in the environment takes precedence.
            None: torch's default (one per core). Defaults to None.
        interval (int): Training iterations per measurement window. Defaults to 20.
        max_wait (float): Fraction of runnable time the threads may wait for a core before the
            hook warns. Defaults to 0.25.
    """

    priority = 'LOW'

    def __init__(self, num_threads: Optional[int] = None, interval: int = 20,
                 max_wait: float = 0.25):
        if num_threads is not None and int(num_threads) < 1:
            raise ValueError(f'CPUThreadsHook: num_threads must be >= 1 or None, got {num_threads}')
        if interval < 1:
            raise ValueError(f'CPUThreadsHook: interval must be >= 1, got {interval}')
        if not 0 < max_wait < 1:
            raise ValueError(f'CPUThreadsHook: max_wait is a fraction in (0, 1), got {max_wait}')
        self.num_threads = num_threads
        self.interval = interval
        self.max_wait = max_wait
        self.warned = False
        self._applied = False
        self._meter: Optional[CPUWaitMeter] = None
        self._windows = 0
        self._iters = 0
        self._t0 = 0.0

    @staticmethod
    def _num_workers(runner) -> int:
        loader = runner.cfg.get('train_dataloader') or {}
        return int(loader.get('num_workers', 0) or 0)

    def before_run(self, runner) -> None:
        if self._applied:
            return
        self._applied = True
        source = apply_torch_threads(self.num_threads)
        print_log(f'CPU threads: torch {torch.get_num_threads()} in the main process ({source}), '
                  f'{self._num_workers(runner)} data workers with 1 torch thread each, OpenCV '
                  f'{_opencv_threads()}; {usable_cores()} usable cores',
                  logger='current')

    def before_train(self, runner) -> None:
        self._meter = CPUWaitMeter()
        if not self._meter.available:
            self._meter = None
        self._windows = self._iters = 0
        self._t0 = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self._meter is None or self.warned:
            return
        self._iters += 1
        if self._iters < self.interval:
            return
        measured = self._meter.read()
        now = time.perf_counter()
        sec_per_iter = (now - self._t0) / self._iters
        iters, self._iters, self._t0 = self._iters, 0, now
        self._windows += 1
        if measured is None or self._windows == 1:  # start-up window: workers, allocations
            return
        wait = measured[0]
        if wait > self.max_wait:
            self.warned = True
            print_log(oversubscription_advice(
                wait, torch.get_num_threads(), self._num_workers(runner), usable_cores(),
                load_average(), sec_per_iter, iters), logger='current', level=logging.WARNING)

