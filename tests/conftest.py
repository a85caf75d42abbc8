"""Shared test set-up: importing the plugin registers its modules; one torch thread per worker."""
import logging
import os

import pytest
import torch
from mmengine.logging import MMLogger

import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin)

# pytest-xdist runs one worker per core: keep each worker on one thread to avoid oversubscription.
if os.environ.get('PYTEST_XDIST_WORKER'):
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _mmpose_scope():
    """Build through MMPose's registries, as configs with ``default_scope='mmpose'`` do."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture
def captured_log():
    """The records MMEngine's current logger emits during the test (``print_log`` lines)."""
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)
