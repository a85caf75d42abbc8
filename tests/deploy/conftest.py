"""Shared fixtures: a demo-config checkpoint with realistic logits, exported once per session."""
import pytest
import torch

from _deploy_helpers import DEMO, has_openvino


@pytest.fixture(scope='session')
def demo_checkpoint(tmp_path_factory) -> str:
    """A fixed-seed demo model whose last MLP layers are scaled x300: peaked logits of a
    trained model's magnitude (the default init gives near-zero, near-tied ones)."""
    import eba_prnetcc_mmpose  # noqa: F401
    from mmengine.registry import DefaultScope

    from eba_prnetcc_mmpose.utils.model_build import build_model
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpose'):
        model, _ = build_model(DEMO)
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

    from eba_prnetcc_mmpose.deploy.onnx_export import export_onnx
    out = str(tmp_path_factory.mktemp('export') / 'demo.onnx')
    with DefaultScope.overwrite_default_scope('mmpose'):
        return export_onnx(DEMO, out, demo_checkpoint, openvino_ir=has_openvino())
