"""A trivial baseline: the training set's mean pose placed in each test box, scored by CocoMetric."""
import json
from typing import Dict

import numpy as np
from mmengine.config import ConfigDict
from mmpose.evaluation import CocoMetric
from mmpose.registry import DATASETS


def mean_pose(train_ann_file: str) -> np.ndarray:
    """Mean keypoint position of the labelled joints relative to their box, shape (K, 2) in [0, 1]."""
    with open(train_ann_file) as f:
        anns = json.load(f)['annotations']
    sums, counts = None, None
    for ann in anns:
        kpts = np.asarray(ann['keypoints'], dtype=np.float64).reshape(-1, 3)
        x, y, w, h = ann['bbox']
        if sums is None:
            sums, counts = np.zeros((len(kpts), 2)), np.zeros(len(kpts))
        if w <= 0 or h <= 0:
            continue
        labelled = kpts[:, 2] > 0
        sums[labelled] += (kpts[labelled, :2] - (x, y)) / (w, h)
        counts[labelled] += 1
    if sums is None:
        raise ValueError(f'{train_ann_file} has no annotations to average.')
    return sums / np.maximum(counts, 1)[:, None]


def evaluate_mean_pose(train_ann_file: str, val_dataset: Dict, ann_file: str) -> Dict[str, float]:
    """COCO keypoint metrics of the mean-pose baseline on ``val_dataset``'s boxes.

    Args:
        train_ann_file (str): COCO keypoint file the mean pose is computed from.
        val_dataset (dict): Config of the test ``CocoDataset`` (its boxes are used; no images
            are read).
        ann_file (str): Ground-truth file for :class:`CocoMetric`.

    Returns:
        dict: ``coco/AP``, ``coco/AR``, ... as :class:`CocoMetric` reports them.
    """
    pose = mean_pose(train_ann_file)
    cfg = ConfigDict(val_dataset)
    cfg.pipeline = []
    dataset = DATASETS.build(cfg)
    metric = CocoMetric(ann_file=ann_file, outfile_prefix=None)
    metric.dataset_meta = dataset.metainfo
    samples = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        x1, y1, x2, y2 = info['bbox'][0]
        keypoints = (np.array([x1, y1]) + pose * np.array([x2 - x1, y2 - y1]))[None]
        samples.append(dict(
            id=info['id'], img_id=info['img_id'],
            pred_instances=dict(keypoints=keypoints, keypoint_scores=np.ones(keypoints.shape[:2])),
            gt_instances=dict(bbox_scores=np.asarray(info['bbox_score']).reshape(1),
                              bbox_scales=np.array([[x2 - x1, y2 - y1]]) * 1.25)))
    metric.process([], samples)
    return metric.evaluate(len(samples))
