"""Randomness of a training run as a function of (seed, epoch, sample index) only.

Used by :class:`ExactResumeHook`. Two streams, derived with numpy's ``SeedSequence``:

- the main process's global generators (``random``, ``numpy.random``, torch) are re-seeded at
  the start of every epoch from ``(seed, epoch)``;
- each training sample's pipeline (``dataset.prepare_data(idx)``, where MMPose's transforms
  draw from ``numpy.random``) runs with the generators seeded from ``(seed, epoch, idx)``, in a
  DataLoader worker or in the main process alike. In the main process the generators' previous
  state is put back afterwards, so data loading does not shift the model's random stream.

The epoch reaches the workers through a one-element int64 tensor in shared memory, which the
main process sets before each epoch's iterator starts the workers (or hands them new indices,
with ``persistent_workers``).
"""
import random
from typing import Callable

import numpy as np
import torch
from torch.utils.data import get_worker_info

#: Stream keys, so that the main process's and the samples' seeds never coincide.
MAIN_STREAM, SAMPLE_STREAM = 0, 1
_U64 = (1 << 64) - 1


def derive_seed(seed: int, stream: int, *keys: int) -> np.ndarray:
    """Four uint32 words from ``SeedSequence([seed, stream, *keys])`` (all taken mod 2**64)."""
    entropy = [int(seed) & _U64, int(stream)] + [int(k) & _U64 for k in keys]
    return np.random.SeedSequence(entropy).generate_state(4, dtype=np.uint32)


def seed_generators(words: np.ndarray) -> None:
    """Seed ``random``, ``numpy.random`` and torch (every device) from :func:`derive_seed`."""
    random.seed(int.from_bytes(words.tobytes(), 'little'))
    np.random.seed(words)
    torch.manual_seed(int(words[0]) | (int(words[1]) << 32))


def seed_main_process(seed: int, epoch: int) -> None:
    """Re-seed the calling process's global generators for ``epoch`` of a run seeded ``seed``."""
    seed_generators(derive_seed(seed, MAIN_STREAM, epoch))


class SeededPrepareData:
    """Wraps a dataset's ``prepare_data(idx)`` so that its random draws depend only on
    ``(seed, epoch, idx)``.

    Args:
        prepare_data (callable): The dataset's own ``prepare_data``.
        seed (int): The run's seed.
        epoch (torch.Tensor): One int64 element in shared memory holding the current epoch.
    """

    def __init__(self, prepare_data: Callable, seed: int, epoch: torch.Tensor):
        self.prepare_data = prepare_data
        self.seed = int(seed)
        self.epoch = epoch

    def __call__(self, idx):
        words = derive_seed(self.seed, SAMPLE_STREAM, int(self.epoch[0]), int(idx))
        if get_worker_info() is not None:
            # a worker's generators serve only the data: leave them seeded, so that a refetch
            # after a None sample (BaseDataset._rand_another) is reproducible too
            seed_generators(words)
            return self.prepare_data(idx)
        state = random.getstate(), np.random.get_state(), torch.get_rng_state()
        try:
            seed_generators(words)
            return self.prepare_data(idx)
        finally:
            random.setstate(state[0])
            np.random.set_state(state[1])
            torch.set_rng_state(state[2])
