"""Synthetic COCO-format keypoint data, config helpers for custom keypoint sets, data checks."""
from .config_helpers import (backbone_stride_and_channels, keypoint_metainfo, simcc_codec,
                             simcc_head_sizes, topdown_pipelines)
from .synthetic_coco import (COCO_KEYPOINT_NAMES, COCO_SKELETON, dataset_is_complete,
                             generate_synthetic_coco)
from .synthetic_squares import (SQUARE_FLIP_PAIRS, SQUARE_KEYPOINT_NAMES, SQUARE_SIGMAS,
                                SQUARE_SKELETON, generate_synthetic_squares,
                                squares_dataset_is_complete, squares_metainfo)

__all__ = [
    'COCO_KEYPOINT_NAMES', 'COCO_SKELETON', 'dataset_is_complete', 'generate_synthetic_coco',
    'SQUARE_FLIP_PAIRS', 'SQUARE_KEYPOINT_NAMES', 'SQUARE_SIGMAS', 'SQUARE_SKELETON',
    'generate_synthetic_squares', 'squares_dataset_is_complete', 'squares_metainfo',
    'backbone_stride_and_channels', 'keypoint_metainfo', 'simcc_codec', 'simcc_head_sizes',
    'topdown_pipelines'
]
