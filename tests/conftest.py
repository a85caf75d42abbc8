"""Shared test set-up: the plugin registered, ``tools/`` importable (as the scripts do it), one
torch thread per worker, and a demo model exported once per session for the deployment tests."""
import logging
import os
import os.path as osp
import sys

import pytest
import torch
from mmengine.logging import MMLogger

import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin)

# The tools' library (tools/eba_tools), found the way every script under tools/ finds it.
sys.path.append(osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools'))

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


@pytest.fixture(scope='session')
def demo_checkpoint(tmp_path_factory) -> str:
    """A fixed-seed demo model whose last MLP layers are scaled x300: peaked logits of a
    trained model's magnitude (the default init gives near-zero, near-tied ones)."""
    from mmengine.registry import DefaultScope

    from eba_prnetcc_mmpose.utils.model_build import build_model
    from eba_tools import DEMO_CONFIG
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpose'):
        model, _ = build_model(DEMO_CONFIG)
    with torch.no_grad():
        model.head.mlp_head_x[-1].weight.mul_(300)
        model.head.mlp_head_y[-1].weight.mul_(300)
    path = str(tmp_path_factory.mktemp('ckpt') / 'demo_peaked.pth')
    torch.save({'state_dict': model.state_dict()}, path)
    return path


@pytest.fixture(scope='session')
def demo_export(tmp_path_factory, demo_checkpoint) -> dict:
    """The demo checkpoint exported to ONNX + metadata (+ OpenVINO IR when installed)."""
    from mmengine.registry import DefaultScope

    from deploy_helpers import has_openvino
    from eba_prnetcc_mmpose.deploy.onnx_export import export_onnx
    from eba_tools import DEMO_CONFIG
    out = str(tmp_path_factory.mktemp('export') / 'demo.onnx')
    with DefaultScope.overwrite_default_scope('mmpose'):
        return export_onnx(DEMO_CONFIG, out, demo_checkpoint, openvino_ir=has_openvino())
