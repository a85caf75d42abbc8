"""Utilities: safe checkpoint loading, running MMPose's tools with the plugin."""
from .launch import mmpose_tool, prepare_cpu_distributed, run_mmpose_tool
from .safe_load import (allow_mmengine_checkpoints, load_from_local_safely,
                        mmengine_safe_globals)

__all__ = [
    'allow_mmengine_checkpoints', 'load_from_local_safely', 'mmengine_safe_globals', 'mmpose_tool',
    'prepare_cpu_distributed', 'run_mmpose_tool'
]
