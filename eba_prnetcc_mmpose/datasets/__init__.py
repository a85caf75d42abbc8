"""Synthetic COCO-format person-keypoint data (the project's embedded default dataset)."""
from .synthetic_coco import (COCO_KEYPOINT_NAMES, COCO_SKELETON, dataset_is_complete,
                             generate_synthetic_coco)

__all__ = ['COCO_KEYPOINT_NAMES', 'COCO_SKELETON', 'dataset_is_complete', 'generate_synthetic_coco']
