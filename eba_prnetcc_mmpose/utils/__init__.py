"""Utilities: safe checkpoint loading, running MMPose's tools with the plugin."""
from .launch import mmpose_tool, prepare_cpu_distributed, run_mmpose_tool
from .safe_load import (TRUST_ENV, CheckpointLoadError, CorruptCheckpointError,
                        UnsafeCheckpointError, allow_mmengine_checkpoints, load_checkpoint_safely,
                        load_url_safely)

__all__ = [
    'allow_mmengine_checkpoints', 'load_checkpoint_safely', 'load_url_safely',
    'CheckpointLoadError', 'UnsafeCheckpointError', 'CorruptCheckpointError', 'TRUST_ENV',
    'mmpose_tool', 'prepare_cpu_distributed', 'run_mmpose_tool'
]
