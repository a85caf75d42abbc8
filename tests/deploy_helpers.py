"""Helpers of the deployment tests (``tests/`` is on ``sys.path`` through its conftest)."""
import numpy as np
import pytest


def has_openvino() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


needs_openvino = pytest.mark.skipif(not has_openvino(), reason='openvino is not installed')


def synthetic_image(h: int, w: int, seed: int) -> np.ndarray:
    """A smooth random BGR image (structure at several scales, so crops differ)."""
    import cv2
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    for cells in (4, 16, 64):
        small = rng.uniform(0, 255, (cells, cells, 3)).astype(np.float32)
        img += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) / 3
    return np.clip(img, 0, 255).astype(np.uint8)
