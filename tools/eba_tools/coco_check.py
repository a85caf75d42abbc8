"""Check COCO-format keypoint files before training: every problem named with its file/key.

:func:`check_coco_keypoints` checks one annotation file, its images and an optional detection-box
file; :func:`check_config_datasets` runs it on every dataset of an MMPose config. The config's
own consistency (sizes, metainfo, types) is :mod:`eba_tools.config_check`.
"""
import json
import os.path as osp
from typing import Dict, List, Optional

import cv2
from tqdm import tqdm


class DatasetCheckError(ValueError):
    """A dataset is unusable; the message lists every problem found."""


def check_coco_keypoints(ann_file: str, img_dir: str, bbox_file: Optional[str] = None,
                         decode_images: bool = True, progress: bool = True) -> Dict:
    """Validate a COCO person-keypoint annotation file, its images and optional box file.

    Args:
        ann_file (str): COCO keypoint annotation JSON.
        img_dir (str): Folder the images' ``file_name`` are relative to.
        bbox_file (str, optional): MMPose detection-box JSON (list of ``image_id``, ``bbox``,
            ``score``).
        decode_images (bool): Also decode every image (slower, catches corrupt files).
        progress (bool): Show a progress bar over images.

    Returns:
        dict: counts of ``images``, ``annotations``, ``keypoints`` per instance, and the
        category's ``keypoint_names``.

    Raises:
        DatasetCheckError: naming each missing file, missing key and undecodable image.
    """
    if not osp.isfile(ann_file):
        raise DatasetCheckError(f'annotation file not found: {ann_file}')
    try:
        with open(ann_file) as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise DatasetCheckError(f'{ann_file} is not valid JSON: {e}') from e
    if not isinstance(data, dict):
        raise DatasetCheckError(f'{ann_file} is not a COCO annotation file (top level is a '
                                f'{type(data).__name__}, expected an object)')
    missing = [k for k in ('images', 'annotations', 'categories') if k not in data]
    if missing:
        raise DatasetCheckError(f'{ann_file} is not a COCO annotation file: missing key(s) '
                                f'{missing}')
    cats = [c for c in data['categories'] if 'keypoints' in c]
    if not cats:
        raise DatasetCheckError(f'{ann_file} has no category with "keypoints": it is not a COCO '
                                f'*keypoints* file (a detection or caption file?)')
    num_kpts = len(cats[0]['keypoints'])
    problems: List[str] = []
    image_ids = {img['id'] for img in data['images']}
    for ann in data['annotations']:
        where = f'{ann_file}: annotation id {ann.get("id")}'
        for key in ('image_id', 'bbox', 'keypoints'):
            if key not in ann:
                problems.append(f'{where} has no "{key}"')
        if 'keypoints' in ann and len(ann['keypoints']) != 3 * num_kpts:
            problems.append(f'{where}: "keypoints" has {len(ann["keypoints"])} values, expected '
                            f'3 x {num_kpts}')
        if ann.get('image_id') not in image_ids:
            problems.append(f'{where}: image_id {ann.get("image_id")} is not in "images"')
    for img in tqdm(data['images'], desc='checking images', disable=not progress):
        path = osp.join(img_dir, img.get('file_name', ''))
        if not osp.isfile(path):
            problems.append(f'image not found: {path} (image id {img.get("id")})')
        elif decode_images and cv2.imread(path) is None:
            problems.append(f'image does not decode: {path} (not an image or corrupt)')
    if bbox_file is not None:
        problems += _check_bbox_file(bbox_file, image_ids)
    if problems:
        shown = '\n  '.join(problems[:20])
        more = f'\n  ... and {len(problems) - 20} more' if len(problems) > 20 else ''
        raise DatasetCheckError(f'{len(problems)} problem(s) in the dataset:\n  {shown}{more}')
    return dict(images=len(data['images']), annotations=len(data['annotations']),
                keypoints=num_kpts, keypoint_names=list(cats[0]['keypoints']))


def _check_bbox_file(bbox_file: str, image_ids) -> List[str]:
    if not osp.isfile(bbox_file):
        return [f'detection box file not found: {bbox_file}']
    with open(bbox_file) as f:
        dets = json.load(f)
    if not isinstance(dets, list):
        return [f'{bbox_file}: expected a JSON list of detections']
    problems = []
    for i, det in enumerate(dets):
        missing = [k for k in ('image_id', 'bbox', 'score') if k not in det]
        if missing:
            problems.append(f'{bbox_file}: detection {i} has no {missing}')
        elif det['image_id'] not in image_ids:
            problems.append(f'{bbox_file}: detection {i} refers to unknown image_id '
                            f'{det["image_id"]}')
    return problems


def check_config_datasets(cfg, decode_images: bool = True, progress: bool = True) -> Dict:
    """Run :func:`check_coco_keypoints` on the train/val/test datasets of an MMPose config."""
    reports = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds = (cfg.get(loader) or {}).get('dataset')
        if ds is None or ds.get('ann_file') is None:
            continue
        root = ds.get('data_root', '')
        ann = osp.join(root, ds['ann_file'])
        img_dir = osp.join(root, ds.get('data_prefix', {}).get('img', ''))
        key = (ann, img_dir, ds.get('bbox_file'))
        if key not in reports:
            reports[key] = check_coco_keypoints(ann, img_dir, ds.get('bbox_file'),
                                                decode_images, progress)
    return {f'{a} ({i})': r for (a, i, _), r in reports.items()}
