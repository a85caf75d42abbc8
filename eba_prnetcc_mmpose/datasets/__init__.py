"""Config helpers: a SimCC config's size-dependent fields and a keypoint set's metainfo, derived
from one input size and a keypoint list (configs import them)."""
from .config_helpers import (backbone_stride_and_channels, keypoint_metainfo, simcc_codec,
                             simcc_head_sizes, topdown_pipelines)

__all__ = [
    'backbone_stride_and_channels', 'keypoint_metainfo', 'simcc_codec', 'simcc_head_sizes',
    'topdown_pipelines'
]
