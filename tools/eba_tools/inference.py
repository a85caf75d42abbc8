"""Top-down pose inference on images, folders and videos: a thin layer over MMPose's
``MMPoseInferencer``.

``MMPoseInferencer`` does the work: the person detector (an MMDetection config + weights, or
``det_model='whole_image'``), reading images and videos, the model's pipeline and flip test,
drawing with MMPose's visualizer, writing the drawn images / videos and per-input JSON. This
module adds only what it lacks:

- person boxes from a COCO-style box file (``images`` + ``annotations``, matched by file name,
  or a COCO detection-results list as MMPose configs' ``bbox_file``, matched by image id).
  MMPose 1.3.2's inferencer accepts a ``bboxes`` argument but its top-down
  path ignores it, so the boxes are handed to it as the output of a detector
  (:class:`BoxFileDetector`), and its own category / score filtering applies to them;
- one run over several inputs (files, folders of images and videos) where an unreadable input is
  reported and skipped while the others go on, with one summary JSON;
- saying so when every keypoint of an input scores below ``kpt_thr`` (nothing would be drawn).
"""
import json
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.structures import InstanceData
from tqdm import tqdm

from .media import expand_inputs, media_kind


def read_box_file(path: str) -> Dict[str, np.ndarray]:
    """Boxes (N, 5: x1, y1, x2, y2, score) per image from a COCO-style json (bbox as xywh).

    Two layouts: a dataset-style object with ``images`` (``id``, ``file_name``) and
    ``annotations`` (``image_id``, ``bbox``, optional ``score``), keyed by file name; or a COCO
    detection-results list (``image_id``, ``bbox``, ``score``; what MMPose's top-down configs
    read as ``bbox_file``), keyed by ``image_id`` and matched to inputs named by their COCO id
    (``000000000139.jpg`` is image 139).

    Raises:
        FileNotFoundError: no such file.
        ValueError: neither layout.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'box file not found: {path}')
    with open(path) as f:
        data = json.load(f)
    if isinstance(data, dict) and 'images' in data and 'annotations' in data:
        names = {img['id']: osp.basename(img['file_name']) for img in data['images']}
        anns = data['annotations']
    elif isinstance(data, list) and all(isinstance(d, dict) and 'image_id' in d and 'bbox' in d
                                        for d in data):
        names, anns = None, data
    else:
        raise ValueError(f'{path} is not a COCO-style box file: expected a JSON object with '
                         f'"images" and "annotations", or a list of detections with '
                         f'"image_id" and "bbox" (bbox as [x, y, w, h]).')
    boxes: Dict[str, list] = {}
    for ann in anns:
        x, y, w, h = ann['bbox']
        key = names[ann['image_id']] if names is not None else _coco_id_key(ann['image_id'])
        boxes.setdefault(key, []).append([x, y, x + w, y + h, ann.get('score', 1.0)])
    return {k: np.asarray(v, dtype=np.float32).reshape(-1, 5) for k, v in boxes.items()}


def _coco_id_key(image_id) -> str:
    return f'id:{int(image_id)}'


def _box_key(boxes: Dict[str, np.ndarray], name: str) -> Optional[str]:
    """The key of ``boxes`` for the image file ``name`` (by file name, else by COCO id)."""
    if name in boxes:
        return name
    stem = osp.splitext(name)[0]
    if stem.isdigit() and _coco_id_key(stem) in boxes:
        return _coco_id_key(stem)
    return None


class BoxFileDetector:
    """Stands in for ``MMPoseInferencer``'s MMDetection detector: returns the given boxes of an
    image (by file name or COCO id) as detections of category 0, in the detector's output
    format."""

    def __init__(self, boxes: Dict[str, np.ndarray]):
        self.boxes = boxes

    def __call__(self, inputs, **kwargs) -> Dict[str, list]:
        key = _box_key(self.boxes, osp.basename(inputs)) if isinstance(inputs, str) else None
        boxes = self.boxes.get(key, np.zeros((0, 5), np.float32))
        instances = InstanceData(bboxes=torch.from_numpy(boxes[:, :4].copy()),
                                 scores=torch.from_numpy(boxes[:, 4].copy()),
                                 labels=torch.zeros(len(boxes), dtype=torch.long))
        sample = InstanceData()  # what the inferencer reads: .pred_instances
        sample.pred_instances = instances
        return dict(predictions=[sample])


class PoseInference:
    """Run a top-down pose model with ``MMPoseInferencer`` over images, folders and videos.

    Person boxes come from an MMDetection detector (``det_config`` + ``det_checkpoint``), else a
    COCO-style box file (``box_file``) or a dict (``boxes``), else the whole image. Drawn
    images and videos go to ``out_dir`` (same file names), MMPoseInferencer's per-input JSON to
    ``out_dir/predictions``, and a summary of all inputs to ``out_dir/keypoints.json``.

    Args:
        config (str | Config): Pose model config (any MMPose top-down config).
        checkpoint (str, optional): Pose model weights; ``None``: random weights (a warning
            says so).
        out_dir (str): Output folder. Defaults to ``'work_dirs/infer'``.
        det_config (str, optional): MMDetection config of the person detector.
        det_checkpoint (str, optional): Its weights (required with ``det_config``).
        det_cat_ids (int | Sequence[int]): Detector categories that are persons.
            Defaults to 0 (COCO person).
        box_file (str, optional): COCO-style json of person boxes (xywh), by file name.
        boxes (dict, optional): Boxes (N, 5: xyxy + score) by file name, instead of a file.
        bbox_thr (float): Minimum box score (detector or file). Defaults to 0.3.
        nms_thr (float): IoU threshold of the NMS over detector boxes (boxes from a file or dict
            are kept as given). Defaults to 0.3.
        kpt_thr (float): Keypoints scoring below it are not drawn. Defaults to 0.3.
        device (str): Device. Defaults to 'cpu'.
        kind (str, optional): How to call the given ``boxes`` in messages and the summary.
            Defaults to ``'box file'``.

    Raises:
        FileNotFoundError: a checkpoint, detector checkpoint or box file that does not exist.
    """

    def __init__(self,
                 config,
                 checkpoint: Optional[str] = None,
                 out_dir: str = 'work_dirs/infer',
                 det_config: Optional[str] = None,
                 det_checkpoint: Optional[str] = None,
                 det_cat_ids: Union[int, Sequence[int]] = 0,
                 box_file: Optional[str] = None,
                 boxes: Optional[Dict[str, np.ndarray]] = None,
                 bbox_thr: float = 0.3,
                 nms_thr: float = 0.3,
                 kpt_thr: float = 0.3,
                 device: str = 'cpu',
                 kind: Optional[str] = None):
        from mmpose.apis import MMPoseInferencer
        if checkpoint is None:
            warnings.warn('no checkpoint given: the pose model runs with RANDOM weights, its '
                          'keypoints are meaningless (pass a checkpoint for real predictions)')
        elif not osp.isfile(checkpoint):
            raise FileNotFoundError(f'pose checkpoint not found: {checkpoint}')
        if det_config and (not det_checkpoint or not osp.isfile(det_checkpoint)):
            raise FileNotFoundError(f'detector checkpoint not found: {det_checkpoint!r} '
                                    f'(--det-checkpoint is required with --det-config)')
        if box_file:
            boxes = read_box_file(box_file)
        self.inferencer = MMPoseInferencer(
            pose2d=config, pose2d_weights=checkpoint, device=device,
            det_model=det_config if det_config else 'whole_image',
            det_weights=det_checkpoint, det_cat_ids=det_cat_ids)
        self.boxes = boxes
        if det_config:
            self.kind = 'detector'
        elif boxes is not None:
            # handed to MMPoseInferencer as a detector's output: its filtering applies
            pose2d = self.inferencer.inferencer
            pose2d.detector, pose2d.det_cat_ids = BoxFileDetector(boxes), (0, )
            self.kind = kind or 'box file'
            nms_thr = 1.0  # given boxes are not suppressed
        else:
            self.kind = 'whole image'
        self.out_dir = out_dir
        self.call_args = dict(bbox_thr=bbox_thr, nms_thr=nms_thr, kpt_thr=kpt_thr,
                              draw_bbox=True, vis_out_dir=out_dir,
                              pred_out_dir=osp.join(out_dir, 'predictions'))
        self.kpt_thr = kpt_thr
        os.makedirs(out_dir, exist_ok=True)

    # ------------------------------------------------------------------ one input
    def _check_readable(self, path: str) -> bool:
        """True for a video; raises ``ValueError`` for an input OpenCV cannot read."""
        if not osp.isfile(path):
            raise FileNotFoundError(f'input not found: {path}')
        if media_kind(path) == 'video':
            cap = cv2.VideoCapture(path)
            ok = cap.isOpened() and cap.read()[0]
            cap.release()
            if not ok:
                raise ValueError(f'cannot open video {path}: missing, corrupt or unsupported '
                                 f'codec (no frame could be read)')
            return True
        if cv2.imread(path) is None:
            raise ValueError(f'cannot decode image {path}: not an image file or corrupt')
        return False

    def run_one(self, path: str) -> Dict:
        """Predict, draw and save one image or video (MMPoseInferencer does all three).

        Returns:
            dict: ``input``, ``output`` (drawn file), ``predictions`` (MMPoseInferencer's JSON)
            and ``instances`` (image) or ``frames`` (video: ``frame``, ``instances``).
        """
        is_video = self._check_readable(path)
        name = osp.basename(path)
        record = dict(input=path, output=osp.join(self.call_args['vis_out_dir'], name),
                      predictions=osp.join(self.call_args['pred_out_dir'],
                                           osp.splitext(name)[0] + '.json'))
        if self.boxes is not None and not is_video and _box_key(self.boxes, name) is None:
            record.update(instances=[], note=f'no boxes for {name} in the {self.kind}: skipped')
            return record
        frames = [_jsonable(result['predictions'][0])
                  for result in self.inferencer(path, **self.call_args)]
        if is_video:
            record['frames'] = [dict(frame=i, instances=inst) for i, inst in enumerate(frames)]
        else:
            record['instances'] = frames[0]
        self._say_if_nothing_drawn(record)
        return record

    def _say_if_nothing_drawn(self, record: Dict) -> None:
        groups = ([f['instances'] for f in record['frames']] if 'frames' in record
                  else [record['instances']])
        scores = [s for inst in groups for person in inst for s in person['keypoint_scores']]
        if not scores or max(scores) >= self.kpt_thr:
            return
        people = sum(len(inst) for inst in groups)
        record['all_keypoints_below_kpt_thr'] = True
        print_log(
            f'{osp.basename(record["input"])}: all {len(scores)} keypoint scores of its '
            f'{people} person box(es) are below kpt_thr={self.kpt_thr} (highest '
            f'{max(scores):.3g}), so no keypoint is drawn. A SimCC score is the lower of the '
            f'x and y logit peaks, not a probability; an under-trained model scores low '
            f'everywhere. Lower the threshold (e.g. --kpt-thr {_suggest(scores)}) '
            f'to see them.', logger='current', level=30)

    # ------------------------------------------------------------------ many inputs
    def run(self, inputs: Sequence[str], progress: bool = True) -> Dict:
        """Process every input; a failing input is reported and skipped, the others go on.

        Returns:
            dict: ``boxes`` (where person boxes came from), ``results``, ``failed`` and
            ``below_kpt_thr`` (inputs where every keypoint scored below ``kpt_thr``); also
            written to ``out_dir/keypoints.json``.
        """
        results, failed = [], []
        for path in tqdm(expand_inputs(inputs), desc='inference', disable=not progress):
            try:
                results.append(self.run_one(path))
            except (OSError, ValueError) as e:
                print_log(f'skipped {path}: {e}', logger='current', level=30)
                failed.append(dict(input=path, error=str(e)))
        summary = dict(boxes=self.kind, kpt_thr=self.kpt_thr, results=results, failed=failed,
                       below_kpt_thr=[r['input'] for r in results
                                      if r.get('all_keypoints_below_kpt_thr')])
        with open(osp.join(self.out_dir, 'keypoints.json'), 'w') as f:
            json.dump(summary, f)
        return summary


def _jsonable(value):
    """MMPoseInferencer's predictions with numpy scalars / arrays as plain Python values."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return value


def _suggest(scores: List[float]) -> str:
    """A threshold under the top scores, rounded down to one significant digit."""
    top = max(max(scores), 1e-3) * 0.5
    digits = -int(np.floor(np.log10(top)))
    return f'{np.floor(top * 10**digits) / 10**digits:g}'


def boxes_by_image(dataset) -> Tuple[Dict[str, np.ndarray], List[str]]:
    """Boxes (N, 5) by file name of a top-down MMPose dataset (its detected or GT boxes), and
    the image paths in dataset order."""
    boxes: Dict[str, list] = {}
    paths: Dict[str, None] = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        paths.setdefault(info['img_path'])
        boxes.setdefault(osp.basename(info['img_path']), []).append(
            np.append(info['bbox'][0], np.asarray(info['bbox_score']).reshape(-1)[:1]))
    return {k: np.stack(v).astype(np.float32) for k, v in boxes.items()}, list(paths)
