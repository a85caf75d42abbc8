"""A seeded synthetic COCO-format set with 5 keypoints: squares with 4 corners and a centre.

The worked example of a non-COCO keypoint set (docs/custom_dataset.md): each image has the
textured background of the person set and 1..``max_squares`` filled squares of random size,
colour and rotation (under 30 degrees either way, so "top left" stays well defined and a
horizontal flip swaps left and right corners). Squares drawn later occlude earlier ones
(visibility 1) and squares may leave the image (visibility 0), exactly as in the person set.
"""
from typing import Dict, Tuple

import cv2
import numpy as np

from eba_prnetcc_mmpose.datasets.config_helpers import keypoint_metainfo

from .synthetic import SyntheticKeypointSet, background, generate, is_complete, visibility

SQUARE_KEYPOINT_NAMES = ['top_left', 'top_right', 'bottom_right', 'bottom_left', 'centre']
#: The 4 edges and the 4 half-diagonals, 1-indexed as in COCO files.
SQUARE_SKELETON = [[1, 2], [2, 3], [3, 4], [4, 1], [1, 5], [2, 5], [3, 5], [4, 5]]
#: What a horizontal flip swaps (the centre stays itself).
SQUARE_FLIP_PAIRS = [('top_left', 'top_right'), ('bottom_left', 'bottom_right')]
#: OKS sigmas: corners are sharp, the centre is only implied by the shape.
SQUARE_SIGMAS = [0.04, 0.04, 0.04, 0.04, 0.06]
GENERATOR_VERSION = 1

# corners and centre of a unit square, in SQUARE_KEYPOINT_NAMES order (y down)
_UNIT = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [0.0, 0.0]])


def _render(rng: np.random.Generator, size: Tuple[int, int], max_squares: int):
    """One image and its squares: list of (keypoints (5, 2), visibility (5,))."""
    w, h = size
    img = background(rng, w, h)
    layers, squares = [], []
    for _ in range(int(rng.integers(1, max_squares + 1))):
        side = rng.uniform(0.25, 0.6) * min(w, h)
        angle = rng.uniform(-0.5, 0.5)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        center = rng.uniform([0.1 * w, 0.1 * h], [0.9 * w, 0.9 * h])
        kpts = _UNIT @ rot.T * side + center
        corners = np.round(kpts[:4]).astype(np.int32)
        fill = rng.uniform(30, 230, 3)
        cv2.fillConvexPoly(img, corners, tuple(int(c) for c in fill), cv2.LINE_AA)
        edge = tuple(int(c) for c in 255 - fill)  # contrasting outline and centre mark
        cv2.polylines(img, [corners], True, edge, max(1, int(side / 30)), cv2.LINE_AA)
        cv2.circle(img, tuple(int(v) for v in np.round(kpts[4])), max(2, int(side / 16)), edge,
                   -1, cv2.LINE_AA)
        mask = np.zeros((h, w), np.uint8)
        cv2.fillConvexPoly(mask, corners, 255)
        layers.append(mask)
        squares.append((kpts, len(layers) - 1))
    return img, [visibility(kpts, size, layers[layer + 1:]) for kpts, layer in squares]


SYNTHETIC_SQUARES = SyntheticKeypointSet(
    keypoint_names=SQUARE_KEYPOINT_NAMES, skeleton=SQUARE_SKELETON, category='square',
    ann_prefix='squares', description='synthetic squares, 5 keypoints ({split})',
    render=_render, version=GENERATOR_VERSION)


def squares_metainfo() -> Dict:
    """MMPose dataset ``metainfo`` of the squares set (names, flip pairs, skeleton, sigmas)."""
    return keypoint_metainfo(
        'synthetic_squares', SQUARE_KEYPOINT_NAMES, flip_pairs=SQUARE_FLIP_PAIRS,
        skeleton=[(SQUARE_KEYPOINT_NAMES[a - 1], SQUARE_KEYPOINT_NAMES[b - 1])
                  for a, b in SQUARE_SKELETON],
        sigmas=SQUARE_SIGMAS)


def _meta(num_train, num_val, image_size, seed, max_squares) -> Dict:
    return dict(kind='squares', version=GENERATOR_VERSION, num_train=num_train,
                num_val=num_val, image_size=list(image_size), seed=seed,
                max_squares=max_squares)


def generate_synthetic_squares(out_dir: str, num_train: int = 40, num_val: int = 12,
                               image_size: Tuple[int, int] = (96, 96), seed: int = 0,
                               max_squares: int = 2, progress: bool = True) -> Dict[str, str]:
    """Write the squares set under ``out_dir``; the same arguments give byte-identical files.

    Args:
        out_dir (str): Output folder (``annotations/squares_{train,val}.json``,
            ``images/{train,val}/``, ``person_detection_results/val_detections.json``,
            ``meta.json``).
        num_train (int): Training images. Defaults to 40.
        num_val (int): Validation images. Defaults to 12.
        image_size (tuple[int, int]): (W, H). Defaults to (96, 96).
        seed (int): Random seed. Defaults to 0.
        max_squares (int): Most squares per image. Defaults to 2.
        progress (bool): Show progress bars. Defaults to True.

    Returns:
        dict: ``data_root``, ``train_ann``, ``val_ann``, ``val_dets``, ``train_img_dir``,
        ``val_img_dir``.
    """
    size = tuple(int(s) for s in image_size)
    return generate(SYNTHETIC_SQUARES, out_dir, num_train, num_val, size, seed, max_squares,
                    _meta(num_train, num_val, size, seed, max_squares), progress)


def squares_dataset_is_complete(out_dir: str, num_train: int = 40, num_val: int = 12,
                                image_size: Tuple[int, int] = (96, 96), seed: int = 0,
                                max_squares: int = 2) -> bool:
    """True if ``out_dir`` holds a complete squares set generated with exactly these arguments."""
    return is_complete(SYNTHETIC_SQUARES, out_dir,
                       _meta(num_train, num_val, tuple(image_size), seed, max_squares))
