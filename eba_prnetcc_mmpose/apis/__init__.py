"""High-level jobs."""
from .demo_job import DEMO_DATA, ensure_synthetic_data, run_demo, set_data_root
from .inference import BoxSource, PoseDemo, collect_inputs, load_pose_model

__all__ = [
    'DEMO_DATA', 'ensure_synthetic_data', 'run_demo', 'set_data_root', 'BoxSource', 'PoseDemo',
    'collect_inputs', 'load_pose_model'
]
