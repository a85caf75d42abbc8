"""Person boxes from a JSON file: one reader, one order, for ``tools/infer.py`` and
``tools/deployment/predict.py`` (numpy and the standard library only, so the MMPose-free
predictor can use it).

Three layouts are accepted, either way, by both tools:

- **per file** (the simple form): ``{"img.jpg": [[x1, y1, x2, y2], ...], "clip.mp4:17": [...]}``,
  corners in pixels, an optional fifth value the box's score (default 1.0); a video frame is
  ``VIDEO_FILE_NAME:FRAME_INDEX`` (from 0);
- **COCO detection results** (what MMPose's top-down configs read as ``bbox_file``):
  ``[{"image_id": 139, "bbox": [x, y, w, h], "score": 0.98, ...}, ...]``, matched to inputs by
  their COCO id (``000000000139.jpg`` is image 139), or by ``file_name`` when an entry has one;
- **a COCO dataset file**: ``{"images": [{"id", "file_name"}], "annotations": [{"image_id",
  "bbox": [x, y, w, h], "score" (optional)}]}``, matched by file name.

**One order** (:func:`select_boxes`): boxes scoring above ``bbox_thr`` (strictly, as MMPose's
inferencer filters detections), highest score first, equal scores in file order. Both tools
predict and write the people of an input in this order. An input that the file lists with no
box above ``bbox_thr``, or does not list at all, has no people (it is not given the whole
frame); without a box file the whole frame is one person box.
"""
import json
import os.path as osp
from typing import Dict, Optional

import numpy as np

#: the layouts, for messages
LAYOUTS = ('{"file.jpg": [[x1, y1, x2, y2(, score)], ...]} (corners; video frames as '
           '"clip.mp4:FRAME")', 'COCO detection results [{"image_id", "bbox": [x, y, w, h], '
           '"score"}, ...]', 'a COCO file with "images" and "annotations" (bbox as [x, y, w, h])')


def _coco_id_key(image_id) -> str:
    return f'id:{int(image_id)}'


def _xywh(ann: Dict, path: str) -> list:
    try:
        x, y, w, h = (float(v) for v in ann['bbox'])
    except (TypeError, ValueError):
        raise ValueError(f'{path}: bbox {ann.get("bbox")!r} is not [x, y, w, h]') from None
    return [x, y, x + w, y + h, float(ann.get('score', 1.0))]


def _corners(key: str, box, path: str) -> list:
    try:
        values = [float(v) for v in box]
    except (TypeError, ValueError):
        values = []
    if len(values) not in (4, 5):
        raise ValueError(f'{path}: {key!r} has box {box!r}; per-file boxes are [x1, y1, x2, y2] '
                         f'or [x1, y1, x2, y2, score]')
    if values[2] <= values[0] or values[3] <= values[1]:
        raise ValueError(f'{path}: {key!r} has box {box!r} with x2 <= x1 or y2 <= y1: per-file '
                         f'boxes are corners [x1, y1, x2, y2] (COCO files give [x, y, w, h] as '
                         f'"bbox")')
    return values + [1.0] * (5 - len(values))


def read_boxes(path: str) -> Dict[str, np.ndarray]:
    """Boxes per input key, each ``(N, 5)`` float32 ``x1, y1, x2, y2, score`` in file order.

    Keys are file names (base names), ``NAME:FRAME`` for video frames and ``id:N`` for COCO
    detection results without a file name (see :func:`boxes_for`).

    Raises:
        FileNotFoundError: no such file.
        ValueError: a layout other than the three above, or a malformed box (named).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'box file not found: {path}')
    with open(path) as f:
        try:
            data = json.load(f)
        except ValueError as e:
            raise ValueError(f'{path} is not JSON: {e}') from None
    boxes: Dict[str, list] = {}
    if isinstance(data, dict) and 'images' in data and 'annotations' in data:
        names = {img['id']: osp.basename(img['file_name']) for img in data['images']}
        for ann in data['annotations']:
            boxes.setdefault(names[ann['image_id']], []).append(_xywh(ann, path))
    elif isinstance(data, list) and all(isinstance(d, dict) and 'image_id' in d and 'bbox' in d
                                        for d in data):
        for det in data:
            key = (osp.basename(det['file_name']) if det.get('file_name')
                   else _coco_id_key(det['image_id']))
            boxes.setdefault(key, []).append(_xywh(det, path))
    elif isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
        for key, value in data.items():
            boxes[str(key)] = [_corners(key, b, path) for b in value]
    else:
        raise ValueError(f'{path} is not a box file; expected one of: ' + '; '.join(LAYOUTS))
    return {k: np.asarray(v, dtype=np.float32).reshape(-1, 5) for k, v in boxes.items()}


def boxes_for(boxes: Dict[str, np.ndarray], name: str,
              frame: Optional[int] = None) -> Optional[np.ndarray]:
    """The boxes of input ``name`` (a file name), or of its video frame ``frame``; None when
    the file does not list it. An image named by its COCO id (``000000000139.jpg``) also
    matches COCO detection results of image 139."""
    name = osp.basename(name)
    if frame is not None:
        return boxes.get(f'{name}:{int(frame)}')
    if name in boxes:
        return boxes[name]
    stem = osp.splitext(name)[0]
    return boxes.get(_coco_id_key(stem)) if stem.isdigit() else None


def select_boxes(boxes: Optional[np.ndarray], bbox_thr: float) -> np.ndarray:
    """The boxes scoring above ``bbox_thr``, highest score first, equal scores in file order:
    the order in which both tools predict and report people. ``(0, 5)`` for None."""
    if boxes is None:
        return np.zeros((0, 5), np.float32)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 5)
    kept = boxes[boxes[:, 4] > bbox_thr]
    return kept[np.argsort(-kept[:, 4], kind='stable')]
