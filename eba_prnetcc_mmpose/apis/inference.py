"""Top-down inference on images, folders and videos, with person boxes from a detector, a box
file or the whole image; keypoints to JSON, skeletons drawn by MMPose's visualizer."""
import json
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
from mmengine.logging import print_log
from tqdm import tqdm

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm')


def collect_inputs(inputs: Sequence[str]) -> List[str]:
    """Expand folders (sorted, images and videos only) and keep files as given."""
    files = []
    for item in inputs:
        if osp.isdir(item):
            files += sorted(osp.join(item, f) for f in os.listdir(item)
                            if f.lower().endswith(IMAGE_EXTS + VIDEO_EXTS))
        else:
            files.append(item)
    return files


class BoxSource:
    """Person boxes (x1, y1, x2, y2, score) for an image.

    Priority: an MMDetection detector (``det_config`` + ``det_checkpoint``), else a COCO-style
    box file (``images`` + ``annotations`` with ``bbox`` in xywh, matched by file name), else the
    whole image.

    Args:
        det_config (str, optional): MMDetection config.
        det_checkpoint (str, optional): Detector weights.
        box_file (str, optional): COCO-style json.
        det_score_thr (float): Minimum detector score. Defaults to 0.3.
        device (str): Device of the detector.
    """

    def __init__(self, det_config: Optional[str] = None, det_checkpoint: Optional[str] = None,
                 box_file: Optional[str] = None, det_score_thr: float = 0.3,
                 device: str = 'cpu'):
        self.detector = None
        self.boxes: Optional[Dict[str, np.ndarray]] = None
        self.score_thr = det_score_thr
        if det_config:
            if not det_checkpoint or not osp.isfile(det_checkpoint):
                raise FileNotFoundError(f'detector checkpoint not found: {det_checkpoint!r} '
                                        f'(--det-checkpoint is required with --det-config)')
            from mmdet.apis import init_detector
            self.detector = init_detector(det_config, det_checkpoint, device=device)
            self.kind = 'detector'
        elif box_file:
            self.boxes = self._read_box_file(box_file)
            self.kind = 'box file'
        else:
            self.kind = 'whole image'

    @classmethod
    def from_boxes(cls, boxes: Dict[str, np.ndarray], kind: str = 'given boxes') -> 'BoxSource':
        """A source that returns ``boxes[file name]`` ((N, 5) xyxy + score) for each image."""
        source = cls()
        source.boxes, source.kind = boxes, kind
        return source

    @staticmethod
    def _read_box_file(path: str) -> Dict[str, np.ndarray]:
        if not osp.isfile(path):
            raise FileNotFoundError(f'box file not found: {path}')
        with open(path) as f:
            data = json.load(f)
        if not (isinstance(data, dict) and 'images' in data and 'annotations' in data):
            raise ValueError(f'{path} is not a COCO-style box file: expected a JSON object with '
                             f'"images" and "annotations" (bbox as [x, y, w, h]).')
        names = {img['id']: osp.basename(img['file_name']) for img in data['images']}
        boxes: Dict[str, list] = {}
        for ann in data['annotations']:
            x, y, w, h = ann['bbox']
            boxes.setdefault(names[ann['image_id']], []).append(
                [x, y, x + w, y + h, ann.get('score', 1.0)])
        return {k: np.asarray(v, dtype=np.float32) for k, v in boxes.items()}

    def __call__(self, img: np.ndarray, name: str) -> np.ndarray:
        """Boxes (N, 5) for ``img`` (BGR) called ``name``; the whole image if none found."""
        h, w = img.shape[:2]
        whole = np.array([[0, 0, w, h, 1.0]], dtype=np.float32)
        if self.detector is not None:
            from mmdet.apis import inference_detector
            pred = inference_detector(self.detector, img).pred_instances.cpu().numpy()
            keep = (pred.labels == 0) & (pred.scores > self.score_thr)
            boxes = np.concatenate([pred.bboxes[keep], pred.scores[keep, None]], axis=1)
            return boxes.astype(np.float32)
        if self.boxes is not None:
            return self.boxes.get(osp.basename(name), np.zeros((0, 5), np.float32))
        return whole


def load_pose_model(config: str, checkpoint: Optional[str], device: str = 'cpu'):
    """``mmpose.apis.init_model``; without a checkpoint: random weights and a warning."""
    from mmpose.apis import init_model
    if checkpoint is None:
        warnings.warn(f'no checkpoint given: {osp.basename(config)} runs with RANDOM weights, '
                      f'its keypoints are meaningless (pass a checkpoint for real predictions)')
    elif not osp.isfile(checkpoint):
        raise FileNotFoundError(f'pose checkpoint not found: {checkpoint}')
    return init_model(config, checkpoint, device=device)


class PoseDemo:
    """Run a top-down pose model over images/videos and write JSON and drawn results.

    Args:
        model: Pose estimator from :func:`load_pose_model`.
        boxes (BoxSource): Where person boxes come from.
        out_dir (str): Output folder.
        kpt_thr (float): Keypoints below this score are not drawn. Defaults to 0.3.
    """

    def __init__(self, model, boxes: BoxSource, out_dir: str, kpt_thr: float = 0.3):
        from mmpose.registry import VISUALIZERS
        self.model = model
        self.boxes = boxes
        self.out_dir = out_dir
        self.kpt_thr = kpt_thr
        self.visualizer = VISUALIZERS.build(model.cfg.visualizer)
        self.visualizer.set_dataset_meta(model.dataset_meta)
        os.makedirs(out_dir, exist_ok=True)

    def predict(self, img: np.ndarray, name: str):
        """Pose of every person box in ``img`` (BGR): (merged data sample, JSON records)."""
        from mmpose.apis import inference_topdown
        from mmpose.structures import merge_data_samples
        boxes = self.boxes(img, name)
        if len(boxes) == 0:
            return None, []
        results = inference_topdown(self.model, img, boxes[:, :4], bbox_format='xyxy')
        records = []
        for box, res in zip(boxes, results):
            inst = res.pred_instances
            records.append(dict(bbox=[float(v) for v in box[:4]], bbox_score=float(box[4]),
                                keypoints=inst.keypoints[0].round(2).tolist(),
                                keypoint_scores=inst.keypoint_scores[0].round(4).tolist()))
        return merge_data_samples(results), records

    def draw(self, img: np.ndarray, sample) -> np.ndarray:
        """The image (BGR) with skeletons and boxes drawn by MMPose's visualizer."""
        if sample is None:
            return img
        self.visualizer.add_datasample('result', img[..., ::-1].copy(), data_sample=sample,
                                       draw_gt=False, draw_bbox=True, kpt_thr=self.kpt_thr,
                                       show=False)
        return self.visualizer.get_image()[..., ::-1]

    def run_image(self, path: str) -> Dict:
        """Predict, draw and save one image; raises ``ValueError`` if it does not decode."""
        img = cv2.imread(path)
        if img is None:
            raise ValueError(f'cannot decode image {path}: not an image file or corrupt')
        sample, records = self.predict(img, path)
        out = osp.join(self.out_dir, osp.basename(path))
        cv2.imwrite(out, self.draw(img, sample))
        return dict(input=path, output=out, instances=records)

    def run_video(self, path: str) -> Dict:
        """Predict every frame, write the drawn video as .mp4; ``ValueError`` if unreadable."""
        cap = cv2.VideoCapture(path)
        if not cap.isOpened():
            raise ValueError(f'cannot open video {path}: missing, corrupt or unsupported codec')
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        out = osp.join(self.out_dir, osp.splitext(osp.basename(path))[0] + '.mp4')
        writer, frames = None, []
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                sample, records = self.predict(frame, path)
                drawn = self.draw(frame, sample)
                if writer is None:
                    writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                             (drawn.shape[1], drawn.shape[0]))
                writer.write(drawn)
                frames.append(dict(frame=len(frames), instances=records))
        finally:
            cap.release()
            if writer is not None:
                writer.release()
        if not frames:
            raise ValueError(f'cannot read any frame from video {path}')
        return dict(input=path, output=out, frames=frames)

    def run(self, inputs: Sequence[str], progress: bool = True) -> Dict:
        """Process every input; a failing input is reported and skipped, the others go on."""
        files = collect_inputs(inputs)
        results, failed = [], []
        for path in tqdm(files, desc='pose demo', disable=not progress):
            try:
                if not osp.isfile(path):
                    raise FileNotFoundError(f'input not found: {path}')
                is_video = path.lower().endswith(VIDEO_EXTS)
                results.append(self.run_video(path) if is_video else self.run_image(path))
            except (OSError, ValueError) as e:
                print_log(f'skipped {path}: {e}', logger='current', level=30)
                failed.append(dict(input=path, error=str(e)))
        summary = dict(boxes=self.boxes.kind, results=results, failed=failed)
        with open(osp.join(self.out_dir, 'keypoints.json'), 'w') as f:
            json.dump(summary, f)
        return summary
