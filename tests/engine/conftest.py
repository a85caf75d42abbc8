"""Engine tests start DataLoader worker processes (persistent ones too) inside the test process.

Shut them down at the end of each test, so no worker outlives the test that started it: left to
garbage collection, a persistent iterator's workers linger in the long-lived pytest worker and
take part in torch's SIGCHLD checks during unrelated later tests.
"""
import gc

import pytest
from torch.utils.data.dataloader import _MultiProcessingDataLoaderIter


@pytest.fixture(autouse=True)
def _no_dataloader_workers_left():
    yield
    gc.collect()
    for obj in gc.get_objects():
        if isinstance(obj, _MultiProcessingDataLoaderIter):
            obj._shutdown_workers()
