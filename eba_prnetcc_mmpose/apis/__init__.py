"""High-level jobs: the CPU demo, inference through MMPoseInferencer, swapping into stock
SimCC pipelines."""
from .demo_job import DEMO_DATA, ensure_synthetic_data, run_demo, set_data_root
from .inference import BoxFileDetector, PoseDemo, boxes_by_image, collect_inputs, read_box_file
from .swap import stock_simcc_configs, swap_config

__all__ = [
    'DEMO_DATA', 'ensure_synthetic_data', 'run_demo', 'set_data_root', 'BoxFileDetector',
    'PoseDemo', 'boxes_by_image', 'collect_inputs', 'read_box_file', 'stock_simcc_configs',
    'swap_config'
]
