"""Top-down pose inference on images, folders and videos: a thin layer over MMPose's
``MMPoseInferencer``.

``MMPoseInferencer`` does the work: the person detector (an MMDetection config + weights, or
``det_model='whole_image'``), reading images and videos, the model's pipeline and flip test,
drawing with MMPose's visualizer, writing the drawn images / videos and per-input JSON. This
module adds only what it lacks:

- person boxes from a box file (:mod:`.boxes`: per-file corners, COCO detection results or a
  COCO file; the same reader and order as ``tools/deployment/predict.py``). MMPose 1.3.2's
  inferencer accepts a ``bboxes`` argument but its top-down path ignores it, so the given boxes
  replace its detector step (:meth:`PoseInference._given_boxes`): filtered by ``bbox_thr``,
  highest score first, no NMS; video frames by ``NAME:FRAME``;
- one run over several inputs (files, folders of images and videos) where an unreadable input is
  reported and skipped while the others go on, with one summary JSON;
- a default ``kpt_thr`` from the model's score scale (:mod:`.scores`), and saying what the
  scores are when every keypoint of an input is below it (nothing would be drawn).
"""
import json
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from mmengine.logging import print_log
from tqdm import tqdm

from .boxes import boxes_for, read_boxes, select_boxes
from .media import expand_inputs, media_kind
from .scores import below_threshold_note, default_kpt_thr, scale_from_config


class PoseInference:
    """Run a top-down pose model with ``MMPoseInferencer`` over images, folders and videos.

    Person boxes come from an MMDetection detector (``det_config`` + ``det_checkpoint``), else a
    box file (``box_file``, :mod:`.boxes`) or a dict (``boxes``), else the whole image. Drawn
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
        box_file (str, optional): JSON of person boxes in any layout of :mod:`.boxes`.
        boxes (dict, optional): Boxes (N, 5: xyxy + score) by input key (:mod:`.boxes`),
            instead of a file.
        bbox_thr (float): Boxes (detector or file) must score above it. Defaults to 0.3.
        nms_thr (float): IoU threshold of the NMS over detector boxes (boxes from a file or dict
            are kept as given). Defaults to 0.3.
        kpt_thr (float, optional): Keypoints scoring below it are not drawn. Defaults to
            :func:`.scores.default_kpt_thr` of the model's score scale (0.3 for scales of 1
            or more, or none fixed).
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
                 kpt_thr: Optional[float] = None,
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
            boxes = read_boxes(box_file)
        self.inferencer = MMPoseInferencer(
            pose2d=config, pose2d_weights=checkpoint, device=device,
            det_model=det_config if det_config else 'whole_image',
            det_weights=det_checkpoint, det_cat_ids=det_cat_ids)
        self.boxes = boxes
        self._video: Optional[str] = None  # the video being run (its frames' box keys)
        pose2d = self.inferencer.inferencer
        if det_config:
            self.kind = 'detector'
        elif boxes is not None:  # in place of the detector step: our order, no NMS
            pose2d.preprocess_single = self._given_boxes
            pose2d.forward = self._drop_placeholders(pose2d.forward)
            self.kind = kind or 'box file'
        else:
            self.kind = 'whole image'
        self.score_scale, self.score_how = scale_from_config(pose2d.cfg)
        if kpt_thr is None:
            kpt_thr = default_kpt_thr(self.score_scale)
        self.out_dir = out_dir
        self.call_args = dict(bbox_thr=bbox_thr, nms_thr=nms_thr, kpt_thr=kpt_thr,
                              draw_bbox=True, vis_out_dir=out_dir,
                              pred_out_dir=osp.join(out_dir, 'predictions'))
        self.kpt_thr = kpt_thr
        os.makedirs(out_dir, exist_ok=True)

    # ------------------------------------------------------------------ given boxes
    def _given_boxes(self, input, index: int, bbox_thr: float = 0.3, nms_thr: float = 0.3,
                     bboxes=()) -> List[Dict]:
        """``Pose2DInferencer.preprocess_single`` for given boxes: the input's boxes
        (:func:`.boxes.select_boxes`: above ``bbox_thr``, highest score first) through the
        model's pipeline. An input without any gets one whole-frame placeholder with a NaN
        score, which :meth:`_drop_placeholders` removes after the forward pass."""
        pose2d = self.inferencer.inferencer
        if isinstance(input, str):
            data_info = dict(img_path=input)
            found = boxes_for(self.boxes, input)
        else:  # a video frame, numbered from 0 (MMPoseInferencer's index)
            data_info = dict(img=input, img_path=f'{index}.jpg'.rjust(10, '0'))
            found = boxes_for(self.boxes, self._video or '', index)
        data_info.update(pose2d.model.dataset_meta)
        kept = select_boxes(found, bbox_thr)
        if not len(kept):
            h, w = (cv2.imread(input) if isinstance(input, str) else input).shape[:2]
            kept = np.array([[0, 0, w, h, np.nan]], np.float32)
        return [pose2d.pipeline(dict(data_info, bbox=b[None, :4], bbox_score=b[4:5]))
                for b in kept]

    @staticmethod
    def _drop_placeholders(forward):
        def wrapped(inputs, **kwargs):
            samples = forward(inputs, **kwargs)
            for ds in samples:
                scores = ds.pred_instances.get('bbox_scores')
                if scores is not None:
                    ds.pred_instances = ds.pred_instances[~np.isnan(np.asarray(scores))]
            return samples
        return wrapped

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
        if self.boxes is not None and not is_video:
            found = boxes_for(self.boxes, name)
            if not len(select_boxes(found, self.call_args['bbox_thr'])):
                why = ('no boxes' if found is None else
                       f"no box scoring above bbox_thr {self.call_args['bbox_thr']:g}")
                record.update(instances=[], note=f'{why} for {name} in the {self.kind}: '
                              f'no people, skipped')
                return record
        self._video = name if is_video else None
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
        print_log(below_threshold_note(osp.basename(record['input']), scores, people,
                                       self.kpt_thr, self.score_scale, self.score_how),
                  logger='current', level=30)

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
        summary = dict(boxes=self.kind, kpt_thr=self.kpt_thr, score_scale=self.score_scale,
                       results=results, failed=failed,
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
