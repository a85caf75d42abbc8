"""A seeded synthetic COCO person-keypoint dataset: the project's embedded default data.

Each image has a textured background, distractor shapes and 1..``max_persons`` articulated stick
figures with the 17 COCO joints: random pose, scale, rotation, clothing colours, partial
occlusion and truncation. Left-side limbs and joint markers use warm colours and right-side ones
cool colours; by default every figure faces the camera, so its layout tells left from right as
in a front view and MMPose's flip augmentation keeps the labels consistent. Visibility follows
COCO: 2 = visible, 1 = labelled but occluded (by an occluder or a person drawn later), 0 =
outside the image (``x = y = 0``). Output is what MMPose's ``CocoDataset`` and ``CocoMetric``
read, plus a detection-box file for top-down testing with detected boxes.
"""
import dataclasses
import functools
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import cv2
import numpy as np

from .synthetic import SyntheticKeypointSet, background, generate, is_complete, visibility

COCO_KEYPOINT_NAMES = [
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder', 'right_shoulder',
    'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_hip', 'right_hip',
    'left_knee', 'right_knee', 'left_ankle', 'right_ankle'
]
#: COCO's 19 skeleton links, 1-indexed as in the annotation files.
COCO_SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7],
                 [6, 8], [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3], [2, 4], [3, 5],
                 [4, 6], [5, 7]]
GENERATOR_VERSION = 1

# Joint marker colours (BGR): face fixed, left side warm, right side cool.
_MARKER_COLORS = [(255, 255, 255), (0, 200, 255), (255, 200, 0), (0, 120, 255), (255, 120, 0),
                  (0, 0, 255), (255, 0, 0), (0, 90, 200), (200, 90, 0), (40, 40, 255),
                  (255, 40, 40), (0, 160, 255), (255, 160, 0), (60, 0, 200), (200, 0, 60),
                  (120, 60, 255), (255, 60, 120)]
_LIMBS = [(5, 7), (7, 9), (6, 8), (8, 10), (11, 13), (13, 15), (12, 14), (14, 16)]
_LEFT_LIMB_COLOR, _RIGHT_LIMB_COLOR = (30, 60, 220), (220, 110, 30)


def _pose(rng: np.random.Generator, back_view_prob: float = 0.0) -> np.ndarray:
    """17 joints of a random pose in figure units (height ~1, y down, pelvis at the origin)."""
    def limb(start, angle, length):
        return start + length * np.array([np.sin(angle), np.cos(angle)])

    lean = rng.uniform(-0.35, 0.35)
    neck = limb(np.zeros(2), np.pi + lean, 0.30)
    side = np.array([np.cos(lean), -np.sin(lean)])  # person's left is image right (facing us)
    k = np.zeros((17, 2))
    k[5], k[6] = neck + 0.11 * side, neck - 0.11 * side
    k[11], k[12] = 0.08 * side, -0.08 * side
    head = limb(neck, np.pi + lean + rng.uniform(-0.3, 0.3), 0.13)
    k[0] = head + np.array([0, 0.015])
    k[1], k[2] = head + 0.03 * side - [0, 0.02], head - 0.03 * side - [0, 0.02]
    k[3], k[4] = head + 0.065 * side, head - 0.065 * side
    for s, sign in ((5, 1), (6, -1)):  # arms: shoulder -> elbow -> wrist
        a = sign * rng.uniform(-0.3, 2.6) + lean
        k[s + 2] = limb(k[s], a, 0.16)
        k[s + 4] = limb(k[s + 2], a + sign * rng.uniform(0, 2.4), 0.14)
    for s, sign in ((11, 1), (12, -1)):  # legs: hip -> knee -> ankle
        a = sign * rng.uniform(-0.35, 0.9)
        k[s + 2] = limb(k[s], a, 0.23)
        k[s + 4] = limb(k[s + 2], a - sign * rng.uniform(0, 1.6), 0.22)
    if rng.random() < back_view_prob:  # from the back: the person's left is on the image left
        k[:, 0] *= -1
    return k


def _draw_person(img: np.ndarray, mask: np.ndarray, kpts: np.ndarray, height: float,
                 rng: np.random.Generator) -> None:
    """Draw a figure onto ``img`` and its silhouette onto ``mask``."""
    thick = max(2, int(0.045 * height))
    cloth = tuple(int(c) for c in rng.uniform(30, 230, 3))
    skin = tuple(int(c) for c in rng.uniform([60, 90, 120], [140, 170, 230]))
    pts = lambda idx: np.round(kpts[list(idx)]).astype(np.int32)  # noqa: E731
    for target, value in ((img, None), (mask, 255)):
        torso = pts([5, 6, 12, 11])
        cv2.fillConvexPoly(target, torso, value or cloth, cv2.LINE_AA)
        for a, b in _LIMBS:
            color = value or (_LEFT_LIMB_COLOR if a % 2 == 1 else _RIGHT_LIMB_COLOR)
            cv2.line(target, tuple(pts([a])[0]), tuple(pts([b])[0]), color, thick, cv2.LINE_AA)
        cv2.line(target, tuple(((kpts[5] + kpts[6]) / 2).astype(int)), tuple(pts([0])[0]),
                 value or skin, thick, cv2.LINE_AA)
        cv2.circle(target, tuple(pts([0])[0] - [0, int(0.02 * height)]), int(0.07 * height),
                   value or skin, -1, cv2.LINE_AA)
    radius = max(2, int(0.022 * height))
    for j in range(17):
        cv2.circle(img, tuple(pts([j])[0]), radius, _MARKER_COLORS[j], -1, cv2.LINE_AA)


@dataclass(frozen=True)
class Difficulty:
    """How hard a synthetic person set is; the defaults are the embedded demo set.

    ``back_view_prob`` draws the same random numbers whatever its value, so two sets that differ
    only in it hold the same people, mirrored or not; the other settings change what is drawn.

    Args:
        min_persons (int): Fewest figures per image. Defaults to 1.
        height_range (tuple[float, float]): Figure heights as fractions of the image height
            (the scale range is their ratio). Defaults to (0.35, 0.9).
        occluder_prob (float): Chance of a rectangle over part of each figure. Defaults to 0.3.
        limb_clutter (tuple[int, int]): ``[lo, hi)`` number of limb-like distractors per image:
            thick lines in the limb colours ending in joint-marker-coloured dots, drawn before
            the figures. Defaults to (0, 0): none.
        back_view_prob (float): Chance that a figure is seen from the back (its left on the
            image left). Above 0, only the limb colours tell a back view's left from its
            right, and a horizontal flip (which swaps the labels, not the colours) teaches the
            opposite: with ``RandomFlip`` and flip test, as every MMPose recipe trains, such
            labels contradict each other (measured in docs/ablation.md, "Calibration": stock
            SimCC stalled at AP75 0.001 with 0.5). With 0 every figure faces the camera, the
            layout tells left from right as in a front view, and a flip keeps the labels
            right. Defaults to 0.0 (the demo set generated before 2026-12-02 used 0.5).
    """

    min_persons: int = 1
    height_range: Tuple[float, float] = (0.35, 0.9)
    occluder_prob: float = 0.3
    limb_clutter: Tuple[int, int] = (0, 0)
    back_view_prob: float = 0.0

    def meta(self) -> Dict:
        """Fields for ``meta.json``: every setting, so a set drawn with other settings (such as
        a demo set from before ``back_view_prob`` defaulted to 0) is not taken as complete."""
        return dict(difficulty=dict(
            min_persons=self.min_persons, height_range=list(self.height_range),
            occluder_prob=self.occluder_prob, limb_clutter=list(self.limb_clutter),
            back_view_prob=self.back_view_prob))


#: The harder set of the ablation study (docs/ablation.md): 2-6 overlapping figures, heights over
#: a 3.6x range, an occluder on half of them, 3-7 limb-like distractors per image; every figure
#: faces the camera (left/right told by the layout, flips label-consistent), as in the demo set.
HARD = Difficulty(min_persons=2, height_range=(0.25, 0.9), occluder_prob=0.5,
                  limb_clutter=(3, 8), back_view_prob=0.0)


def _limb_clutter(img: np.ndarray, rng: np.random.Generator, lo: int, hi: int) -> None:
    """Distractors that look like limbs: a limb-coloured segment with joint-marker dots."""
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(lo, hi))):
        length = rng.uniform(0.06, 0.2) * h
        angle = rng.uniform(0, 2 * np.pi)
        p0 = rng.uniform([0, 0], [w, h])
        p1 = p0 + length * np.array([np.cos(angle), np.sin(angle)])
        color = _LEFT_LIMB_COLOR if rng.random() < 0.5 else _RIGHT_LIMB_COLOR
        thick = max(2, int(rng.uniform(0.01, 0.03) * h))
        a, b = tuple(int(v) for v in p0), tuple(int(v) for v in p1)
        cv2.line(img, a, b, color, thick, cv2.LINE_AA)
        for pt in (a, b):
            marker = _MARKER_COLORS[int(rng.integers(0, 17))]
            cv2.circle(img, pt, max(2, int(0.6 * thick)), marker, -1, cv2.LINE_AA)


def _render(rng: np.random.Generator, size: Tuple[int, int], max_persons: int,
            difficulty: Difficulty = Difficulty()):
    """One image and its people: list of (keypoints (17, 2), visibility (17,))."""
    w, h = size
    d = difficulty
    img = background(rng, w, h)
    if d.limb_clutter[1] > d.limb_clutter[0]:
        _limb_clutter(img, rng, *d.limb_clutter)
    layers = []  # masks of everything drawn, in drawing order
    people = []
    for p in range(int(rng.integers(d.min_persons, max_persons + 1))):
        height = rng.uniform(*d.height_range) * h
        angle = rng.uniform(-0.7, 0.7)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        center = rng.uniform([0.08 * w, 0.2 * h], [0.92 * w, 0.8 * h])
        kpts = _pose(rng, d.back_view_prob) @ rot.T * height + center - rot @ [0, -0.1] * height
        mask = np.zeros((h, w), np.uint8)
        _draw_person(img, mask, kpts, height, rng)
        layers.append(mask)
        people.append((kpts, len(layers) - 1))
        if rng.random() < d.occluder_prob:  # an occluder over part of this person
            mask = np.zeros((h, w), np.uint8)
            cx, cy = kpts[rng.integers(0, 17)]
            half = rng.uniform(0.08, 0.2, 2) * height
            p0 = (int(cx - half[0]), int(cy - half[1]))
            p1 = (int(cx + half[0]), int(cy + half[1]))
            color = tuple(int(c) for c in rng.uniform(40, 200, 3))
            cv2.rectangle(img, p0, p1, color, -1)
            cv2.rectangle(mask, p0, p1, 255, -1)
            layers.append(mask)
    return img, [visibility(kpts, size, layers[layer + 1:]) for kpts, layer in people]


SYNTHETIC_COCO = SyntheticKeypointSet(
    keypoint_names=COCO_KEYPOINT_NAMES, skeleton=COCO_SKELETON, category='person',
    ann_prefix='person_keypoints', description='synthetic COCO person keypoints ({split})',
    render=_render, version=GENERATOR_VERSION)


def _spec(difficulty: Difficulty) -> SyntheticKeypointSet:
    if difficulty == Difficulty():
        return SYNTHETIC_COCO
    return dataclasses.replace(SYNTHETIC_COCO,
                               render=functools.partial(_render, difficulty=difficulty))


def _meta(num_train, num_val, image_size, seed, max_persons,
          difficulty: Difficulty = Difficulty()) -> Dict:
    return dict(version=GENERATOR_VERSION, num_train=num_train, num_val=num_val,
                image_size=list(image_size), seed=seed, max_persons=max_persons,
                **difficulty.meta())


def generate_synthetic_coco(out_dir: str, num_train: int = 200, num_val: int = 50,
                            image_size: Tuple[int, int] = (256, 256), seed: int = 0,
                            max_persons: int = 3, progress: bool = True,
                            difficulty: Optional[Difficulty] = None) -> Dict[str, str]:
    """Write the dataset under ``out_dir``; the same arguments give byte-identical files.

    Args:
        out_dir (str): Output folder (``annotations/``, ``images/{train,val}/``,
            ``person_detection_results/``, ``meta.json``).
        num_train (int): Training images. Defaults to 200.
        num_val (int): Validation images. Defaults to 50.
        image_size (tuple[int, int]): (W, H). Defaults to (256, 256).
        seed (int): Random seed. Defaults to 0.
        max_persons (int): Most figures per image. Defaults to 3.
        progress (bool): Show progress bars. Defaults to True.
        difficulty (Difficulty, optional): Crowding, scale range, occlusion and clutter
            (:data:`HARD` for the ablation study). Defaults to the demo set's.

    Returns:
        dict: ``data_root``, ``train_ann``, ``val_ann``, ``val_dets``, ``train_img_dir``,
        ``val_img_dir``.
    """
    size = tuple(int(s) for s in image_size)
    difficulty = difficulty or Difficulty()
    return generate(_spec(difficulty), out_dir, num_train, num_val, size, seed, max_persons,
                    _meta(num_train, num_val, size, seed, max_persons, difficulty), progress)


def dataset_is_complete(out_dir: str, num_train: int = 200, num_val: int = 50,
                        image_size: Tuple[int, int] = (256, 256), seed: int = 0,
                        max_persons: int = 3, difficulty: Optional[Difficulty] = None) -> bool:
    """True if ``out_dir`` holds a complete dataset generated with exactly these arguments."""
    difficulty = difficulty or Difficulty()
    return is_complete(_spec(difficulty), out_dir,
                       _meta(num_train, num_val, tuple(image_size), seed, max_persons,
                             difficulty))
