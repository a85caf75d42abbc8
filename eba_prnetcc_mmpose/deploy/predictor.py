"""Top-down pose prediction from an exported SimCC model with numpy, OpenCV and a runtime.

No torch and no MMPose at run time: this module reproduces, for deployment, what MMPose's
``inference_topdown`` does with a SimCC model (parity is tested against it):

1. **Crop** (``GetBBoxCenterScale`` + ``TopdownAffine``): each ``x1, y1, x2, y2`` box becomes a
   centre and a scale (box size x ``padding``, 1.25 by default), the scale is widened or heightened
   to the model's aspect ratio, and the box is warped to the model's input size with
   ``cv2.warpAffine`` (bilinear, constant 0 border).
2. **Normalise** (``PoseDataPreprocessor``): BGR -> RGB if the model was trained so, then
   ``(pixel - mean) / std``.
3. **Run** the model in ONNX Runtime or OpenVINO (:class:`~.runtime.InferenceSession`); with the
   flip test, the horizontally flipped crops too: their x logits are reversed, the left/right
   keypoints swapped, and the logits of both passes averaged.
4. **Decode** (``SimCCLabel``): per keypoint, the argmax bin of each axis divided by
   ``simcc_split_ratio`` gives the position in input pixels, then the crop's affine map is
   inverted to image pixels.

**Scores.** A keypoint's score is MMPose's SimCC convention: ``min(max(simcc_x), max(simcc_y))``
over the *raw logits* of the two axes. It is a logit, not a probability: it is not bounded by 1
(trained models commonly give 1-10 or more, depending on the loss's ``beta`` and label
normalisation) and can be negative. Compare it with thresholds chosen for the same model. Where
it is <= 0, MMPose marks the keypoint invalid by decoding it at input position (-1, -1) / ratio;
we keep that for parity and report ``valid = scores > 0``.

The model's metadata (input size, split ratio, normalisation, flip pairs, padding, skeleton) is
read from the JSON written beside the model by ``export_onnx``.
"""
import json
import math
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .runtime import INT8_SUFFIX, InferenceSession

META_VERSION = 1


def meta_path(model_path: str) -> str:
    """The metadata JSON beside an exported model (``model.onnx``, ``model.xml`` or the int8
    ``model.int8.onnx`` / ``model.int8.xml`` -> ``model.json``)."""
    stem = osp.splitext(model_path)[0]
    return (stem[:-len(INT8_SUFFIX)] if stem.endswith(INT8_SUFFIX) else stem) + '.json'


def load_meta(model_path: str) -> Dict[str, Any]:
    """Read the metadata written by the exporter; raise a one-line error if it is missing."""
    path = meta_path(model_path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: the predictor needs the metadata JSON that '
                                f'tools/deployment/export_onnx.py writes beside the model')
    with open(path) as f:
        meta = json.load(f)
    if meta.get('decoder') != 'SimCCLabel':
        raise ValueError(f'{path}: the predictor decodes SimCC models only, this model has '
                         f'decoder {meta.get("decoder")!r}')
    for key, what in (('use_udp', 'TopdownAffine(use_udp=True)'),
                      ('use_dark', 'SimCCLabel(use_dark=True)')):
        if meta.get(key):
            raise ValueError(f'{path}: {what} is not supported by the predictor')
    _check_meta_sizes(meta, path)
    return meta


#: Largest crop side the predictor accepts from a metadata file (every crop is allocated).
MAX_INPUT_SIDE = 4096


def _check_meta_sizes(meta: Dict[str, Any], path: str) -> None:
    """Refuse metadata whose sizes would allocate without bound or divide by zero."""
    def number(v):
        return type(v) in (int, float) and math.isfinite(v)
    size = meta.get('input_size')
    if not (isinstance(size, list) and len(size) == 2
            and all(type(v) is int and 1 <= v <= MAX_INPUT_SIDE for v in size)):
        raise ValueError(f'{path}: input_size must be [W, H], integers in 1..{MAX_INPUT_SIDE}, '
                         f'got {str(size)[:60]}; export the model again')
    ratio, pad = meta.get('simcc_split_ratio'), meta.get('bbox_padding', 1.25)
    if not (number(ratio) and 0 < ratio <= 64 and number(pad) and 0 < pad <= 100):
        raise ValueError(f'{path}: simcc_split_ratio ({str(ratio)[:20]}) and bbox_padding '
                         f'({str(pad)[:20]}) must be positive numbers; export the model again')


def bbox_xyxy_to_center_scale(bboxes: np.ndarray,
                              padding: float = 1.25) -> Tuple[np.ndarray, np.ndarray]:
    """Centres (N, 2) and scales (N, 2) of ``x1, y1, x2, y2`` boxes (N, 4), as
    ``GetBBoxCenterScale``: scale = box size x ``padding``."""
    bboxes = np.asarray(bboxes, dtype=np.float32).reshape(-1, 4)
    center = (bboxes[:, :2] + bboxes[:, 2:]) * 0.5
    scale = (bboxes[:, 2:] - bboxes[:, :2]) * padding
    return center, scale


def fix_aspect_ratio(scale: np.ndarray, aspect_ratio: float) -> np.ndarray:
    """Enlarge one side of each scale (N, 2) so that w / h == ``aspect_ratio`` (as
    ``TopdownAffine``)."""
    w, h = scale[:, :1], scale[:, 1:]
    return np.where(w > h * aspect_ratio, np.hstack([w, w / aspect_ratio]),
                    np.hstack([h * aspect_ratio, h])).astype(np.float32)


def crop_matrix(center: np.ndarray, scale: np.ndarray,
                output_size: Tuple[int, int]) -> np.ndarray:
    """2x3 affine map from the image to a crop of ``output_size`` (W, H), no rotation.

    The box of width ``scale[0]`` centred on ``center`` maps onto the output width with one
    uniform scale factor (``TopdownAffine``'s ``get_warp_matrix`` with ``rot=0``).
    """
    s = output_size[0] / float(scale[0])
    return np.array([[s, 0., output_size[0] * 0.5 - s * float(center[0])],
                     [0., s, output_size[1] * 0.5 - s * float(center[1])]], dtype=np.float64)


def preprocess_crops(image: np.ndarray, bboxes: np.ndarray,
                     meta: Dict[str, Any]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crops (N, 3, H, W) float32 normalised as the model's ``meta`` says, with their centres
    (N, 2) and scales (N, 2): steps 1-2 of the module docs (also what int8 calibration sees)."""
    w, h = meta['input_size']
    center, scale = bbox_xyxy_to_center_scale(bboxes, meta.get('bbox_padding', 1.25))
    scale = fix_aspect_ratio(scale, w / h)
    mean, std = meta.get('mean'), meta.get('std')
    crops = np.empty((len(center), 3, h, w), np.float32)
    for i, (c, s) in enumerate(zip(center, scale)):
        crop = cv2.warpAffine(image, crop_matrix(c, s, (w, h)), (int(w), int(h)),
                              flags=cv2.INTER_LINEAR).astype(np.float32)
        if meta.get('bgr_to_rgb') and crop.shape[-1] == 3:
            crop = crop[..., ::-1]
        if mean is not None:
            crop = ((crop - np.asarray(mean, np.float32).reshape(1, 1, 3))
                    / np.asarray(std, np.float32).reshape(1, 1, 3))
        crops[i] = crop.transpose(2, 0, 1)
    return crops, center, scale


def smooth_simcc(simcc: np.ndarray, sigma: float) -> np.ndarray:
    """``simcc`` (N, K, W) blurred along the bins with a Gaussian of ``sigma`` bins (edges
    replicated): the argmax of the result is the centre of a flat or jagged top, not whichever
    of its bins rounding made a hair larger."""
    n, k, w = simcc.shape
    radius = max(1, int(3 * sigma + 0.5))
    flat = np.ascontiguousarray(simcc.reshape(n * k, w), dtype=np.float32)
    out = cv2.GaussianBlur(flat, (2 * radius + 1, 1), sigmaX=sigma, sigmaY=0,
                           borderType=cv2.BORDER_REPLICATE)
    return out.reshape(n, k, w)


def decode_simcc(simcc_x: np.ndarray, simcc_y: np.ndarray, split_ratio: float,
                 smooth_sigma: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
    """SimCC logits (N, K, Wx), (N, K, Wy) -> keypoints (N, K, 2) in input pixels, scores (N, K).

    As ``SimCCLabel.decode``: argmax per axis, score = min of the two axis maxima (raw logits);
    a keypoint with score <= 0 is placed at bin -1 (MMPose's "invalid" marker). With
    ``smooth_sigma > 0`` the argmax is taken over the logits blurred by :func:`smooth_simcc`
    (the scores stay the raw maxima): robust to the tiny logit changes of bf16/int8, which
    otherwise move the argmax across the near-flat top of a trained model's peak
    (docs/deploy.md); 0 is MMPose's decoding exactly.
    """
    if smooth_sigma > 0:
        x_locs = smooth_simcc(simcc_x, smooth_sigma).argmax(-1)
        y_locs = smooth_simcc(simcc_y, smooth_sigma).argmax(-1)
    else:
        x_locs = simcc_x.argmax(-1)
        y_locs = simcc_y.argmax(-1)
    locs = np.stack([x_locs, y_locs], -1).astype(np.float32)
    scores = np.minimum(simcc_x.max(-1), simcc_y.max(-1))
    locs[scores <= 0.] = -1
    return locs / split_ratio, scores


def flip_simcc(simcc_x: np.ndarray, simcc_y: np.ndarray,
               flip_indices: Sequence[int]) -> Tuple[np.ndarray, np.ndarray]:
    """Logits of a horizontally flipped input, expressed for the unflipped one (MMPose's
    ``flip_vectors``): swap left/right keypoints, reverse the x bins."""
    return simcc_x[:, flip_indices, ::-1], simcc_y[:, flip_indices]


@dataclass
class PoseResult:
    """Poses of one image.

    Attributes:
        keypoints (np.ndarray): (N, K, 2) x, y in image pixels.
        scores (np.ndarray): (N, K) SimCC scores (raw logits, see the module docs).
        bboxes (np.ndarray): (N, 4) the person boxes, x1, y1, x2, y2.
        valid (np.ndarray): (N, K) ``scores > 0`` (MMPose's validity rule).
    """
    keypoints: np.ndarray
    scores: np.ndarray
    bboxes: np.ndarray
    valid: np.ndarray = field(init=False)

    def __post_init__(self):
        self.valid = self.scores > 0

    def to_json(self, keypoint_names: Optional[Sequence[str]] = None) -> List[Dict[str, Any]]:
        """One dict per person: ``bbox``, ``keypoints`` [[x, y], ...], ``keypoint_scores``."""
        out = []
        for kpts, scores, bbox in zip(self.keypoints, self.scores, self.bboxes):
            person = dict(bbox=[round(float(v), 2) for v in bbox],
                          keypoints=[[round(float(x), 2), round(float(y), 2)] for x, y in kpts],
                          keypoint_scores=[round(float(s), 4) for s in scores])
            if keypoint_names:
                person['keypoint_names'] = list(keypoint_names)
            out.append(person)
        return out


class PosePredictor:
    """Image + person boxes -> keypoints in image pixels, from an exported SimCC model.

    Args:
        model_path (str): The exported ``.onnx`` (with its metadata ``.json`` beside it; the
            OpenVINO ``.xml`` beside it is used by the OpenVINO backend).
        backend (str): ``'onnxruntime'`` or ``'openvino'``. Defaults to ``'onnxruntime'``.
        precision (str): ``'fp32'``, ``'bf16'`` (OpenVINO on bf16 CPUs) or ``'int8'`` (the
            ``model.int8.*`` written by ``export_onnx.py --int8``, on VNNI/AMX CPUs). Defaults
            to fp32.
        flip_test (bool, optional): Average with the flipped crops; defaults to the model's
            ``test_cfg.flip_test`` recorded at export.
        batch_size (int): Crops per runtime call (flipped crops ride in the same call).
            Defaults to 32.
        num_threads (int, optional): Runtime threads; the runtime's default when None.
        device (str): ``'cpu'`` or ``'cuda'`` (ONNX Runtime only). Defaults to ``'cpu'``.
        smooth_sigma (float): Take each axis' argmax over the logits blurred by a Gaussian of
            this many bins (:func:`decode_simcc`); 0 (default) decodes exactly as MMPose.
    """

    def __init__(self, model_path: str, backend: str = 'onnxruntime', precision: str = 'fp32',
                 flip_test: Optional[bool] = None, batch_size: int = 32,
                 num_threads: Optional[int] = None, device: str = 'cpu',
                 smooth_sigma: float = 0.0):
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        if smooth_sigma < 0:
            raise ValueError(f'smooth_sigma must be >= 0, got {smooth_sigma}')
        self.smooth_sigma = float(smooth_sigma)
        self.meta = load_meta(model_path)
        self.session = InferenceSession(model_path, backend, precision, num_threads, device)
        self.input_size = tuple(self.meta['input_size'])  # (W, H)
        self.flip_test = self.meta.get('flip_test', False) if flip_test is None else flip_test
        self.batch_size = batch_size
        if self.flip_test and not self.meta.get('flip_indices'):
            raise ValueError('flip_test needs flip_indices in the model metadata')

    @property
    def keypoint_names(self) -> List[str]:
        """Keypoint names recorded at export (may be empty)."""
        return list(self.meta.get('keypoint_names') or [])

    def preprocess(self, image: np.ndarray,
                   bboxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Crops (N, 3, H, W) float32 normalised, their centres (N, 2) and scales (N, 2)."""
        return preprocess_crops(image, bboxes, self.meta)

    def infer_logits(self, crops: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """SimCC logits of normalised crops (N, 3, H, W), flip-averaged if ``flip_test``."""
        xs, ys = [], []
        for start in range(0, len(crops), self.batch_size):
            batch = crops[start:start + self.batch_size]
            n = len(batch)
            if self.flip_test:
                batch = np.concatenate([batch, batch[..., ::-1]])
            simcc_x, simcc_y = self.session(batch)[:2]
            if self.flip_test:
                fx, fy = flip_simcc(simcc_x[n:], simcc_y[n:], self.meta['flip_indices'])
                simcc_x, simcc_y = (simcc_x[:n] + fx) * 0.5, (simcc_y[:n] + fy) * 0.5
            xs.append(simcc_x)
            ys.append(simcc_y)
        return np.concatenate(xs), np.concatenate(ys)

    def __call__(self, image: np.ndarray, bboxes: Optional[np.ndarray] = None) -> PoseResult:
        """Predict the poses of the people in ``bboxes`` in a BGR ``image`` (H, W, 3) uint8.

        Args:
            image (np.ndarray): As ``cv2.imread`` returns it.
            bboxes (np.ndarray, optional): (N, 4) ``x1, y1, x2, y2`` in pixels; the whole image
                when None (as ``inference_topdown``).

        Returns:
            PoseResult: keypoints (N, K, 2) in image pixels and scores (N, K).
        """
        if image is None or image.ndim != 3:
            raise ValueError('image must be an (H, W, 3) array as cv2.imread returns it')
        if bboxes is None:
            bboxes = np.array([[0, 0, image.shape[1], image.shape[0]]], np.float32)
        bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
        k = int(self.meta['num_keypoints'])
        if len(bboxes) == 0:
            return PoseResult(np.zeros((0, k, 2), np.float32), np.zeros((0, k), np.float32),
                              bboxes)
        crops, center, scale = self.preprocess(image, bboxes)
        simcc_x, simcc_y = self.infer_logits(crops)
        keypoints, scores = decode_simcc(simcc_x, simcc_y, self.meta['simcc_split_ratio'],
                                         self.smooth_sigma)
        # input pixels -> image pixels (TopdownPoseEstimator.add_pred_to_datasample)
        input_size = np.asarray(self.input_size, np.float32)
        keypoints = (keypoints / input_size * scale[:, None] + center[:, None]
                     - 0.5 * scale[:, None])
        return PoseResult(keypoints.astype(np.float32), scores.astype(np.float32), bboxes)


def draw_poses(image: np.ndarray, result: PoseResult, skeleton: Sequence[Sequence[int]] = (),
               kpt_thr: float = 0.0, radius: int = 3, thickness: int = 2) -> np.ndarray:
    """Draw boxes, keypoints with score > ``kpt_thr`` and skeleton links on a copy of ``image``."""
    canvas = image.copy()
    for kpts, scores, bbox in zip(result.keypoints, result.scores, result.bboxes):
        x1, y1, x2, y2 = (int(round(v)) for v in bbox)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), (0, 255, 0), 1)
        shown = scores > kpt_thr
        for a, b in skeleton:
            if shown[a] and shown[b]:
                cv2.line(canvas, tuple(int(v) for v in kpts[a]), tuple(int(v) for v in kpts[b]),
                         (255, 128, 0), thickness, cv2.LINE_AA)
        for (x, y), ok in zip(kpts, shown):
            if ok:
                cv2.circle(canvas, (int(x), int(y)), radius, (0, 0, 255), -1, cv2.LINE_AA)
    return canvas
