"""Safe checkpoint loading and building a model from a config for export."""
from .safe_load import (TRUST_ENV, CheckpointLoadError, CorruptCheckpointError,
                        UnsafeCheckpointError, allow_mmengine_checkpoints, load_checkpoint_safely,
                        load_url_safely)

__all__ = [
    'allow_mmengine_checkpoints', 'load_checkpoint_safely', 'load_url_safely',
    'CheckpointLoadError', 'UnsafeCheckpointError', 'CorruptCheckpointError', 'TRUST_ENV'
]
