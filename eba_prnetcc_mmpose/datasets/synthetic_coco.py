"""A seeded synthetic COCO person-keypoint dataset: the project's embedded default data.

Each image has a textured background, distractor shapes and 1..``max_persons`` articulated stick
figures with the 17 COCO joints: random pose, scale, rotation, clothing colours, partial
occlusion and truncation. Left-side limbs and joint markers use warm colours and right-side ones
cool colours, so left and right are learnable. Visibility follows COCO: 2 = visible, 1 =
labelled but occluded (by an occluder or a person drawn later), 0 = outside the image
(``x = y = 0``). Output is what MMPose's ``CocoDataset`` and ``CocoMetric`` read, plus a
detection-box file for top-down testing with detected boxes.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Tuple

import cv2
import numpy as np
from tqdm import tqdm

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


def _pose(rng: np.random.Generator) -> np.ndarray:
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
    if rng.random() < 0.5:  # seen from the back: the person's left appears on the image left
        k[:, 0] *= -1
    return k


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    c0, c1 = rng.uniform(40, 200, 3), rng.uniform(40, 200, 3)
    t = np.linspace(0, 1, h if rng.random() < 0.5 else w)
    grad = c0 + (c1 - c0) * t[:, None]
    img = np.broadcast_to(grad[:, None] if len(t) == h else grad[None], (h, w, 3)).copy()
    noise = cv2.resize(rng.normal(0, 18, (6, 6, 3)), (w, h), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img + noise, 0, 255).astype(np.uint8)
    for _ in range(rng.integers(2, 6)):  # muted distractors
        color = tuple(int(c) for c in rng.uniform(60, 170) + rng.uniform(-20, 20, 3))
        x, y = rng.integers(0, w), rng.integers(0, h)
        if rng.random() < 0.5:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(8, w // 3)),
                                        y + int(rng.integers(8, h // 3))), color, -1)
        else:
            cv2.circle(img, (x, y), int(rng.integers(5, min(w, h) // 6)), color, -1, cv2.LINE_AA)
    return img


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


def _render(rng: np.random.Generator, size: Tuple[int, int], max_persons: int):
    """One image and its people: list of (keypoints (17, 2), visibility (17,))."""
    w, h = size
    img = _background(rng, w, h)
    layers = []  # (kind, person index or None, mask) in drawing order
    people = []
    for p in range(int(rng.integers(1, max_persons + 1))):
        height = rng.uniform(0.35, 0.9) * h
        angle = rng.uniform(-0.7, 0.7)
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        center = rng.uniform([0.08 * w, 0.2 * h], [0.92 * w, 0.8 * h])
        kpts = _pose(rng) @ rot.T * height + center - rot @ [0, -0.1] * height
        mask = np.zeros((h, w), np.uint8)
        _draw_person(img, mask, kpts, height, rng)
        layers.append(mask)
        people.append((kpts, len(layers) - 1))
        if rng.random() < 0.3:  # an occluder over part of this person
            mask = np.zeros((h, w), np.uint8)
            cx, cy = kpts[rng.integers(0, 17)]
            half = rng.uniform(0.08, 0.2, 2) * height
            p0 = (int(cx - half[0]), int(cy - half[1]))
            p1 = (int(cx + half[0]), int(cy + half[1]))
            color = tuple(int(c) for c in rng.uniform(40, 200, 3))
            cv2.rectangle(img, p0, p1, color, -1)
            cv2.rectangle(mask, p0, p1, 255, -1)
            layers.append(mask)
    result = []
    for kpts, layer in people:
        inside = (kpts[:, 0] >= 0) & (kpts[:, 0] <= w - 1) & (kpts[:, 1] >= 0) & (kpts[:, 1] <= h - 1)
        vis = np.where(inside, 2, 0)
        xy = np.clip(np.round(kpts).astype(int), 0, [w - 1, h - 1])
        for later in layers[layer + 1:]:
            vis[inside & (later[xy[:, 1], xy[:, 0]] > 0)] = 1
        result.append((np.where(vis[:, None] > 0, kpts, 0.0), vis))
    return img, result


def _annotation(kpts: np.ndarray, vis: np.ndarray, size, ann_id: int, image_id: int) -> Dict:
    w, h = size
    pts = kpts[vis > 0]
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    pad = 0.1 * max(x1 - x0, y1 - y0) + 4
    x0, y0 = max(0.0, x0 - pad), max(0.0, y0 - pad)
    x1, y1 = min(w - 1.0, x1 + pad), min(h - 1.0, y1 + pad)
    flat = np.concatenate([np.round(kpts, 2), vis[:, None]], 1).reshape(-1)
    return dict(id=ann_id, image_id=image_id, category_id=1, iscrowd=0,
                keypoints=[float(v) for v in flat], num_keypoints=int((vis > 0).sum()),
                bbox=[round(float(v), 2) for v in (x0, y0, x1 - x0, y1 - y0)],
                area=round(float((x1 - x0) * (y1 - y0)), 2))


def _split(out_dir: str, split: str, split_idx: int, num: int, size, seed: int,
           max_persons: int, progress: bool) -> Tuple[Dict, List[Dict]]:
    img_dir = osp.join(out_dir, 'images', split)
    os.makedirs(img_dir, exist_ok=True)
    images, anns, dets = [], [], []
    for i in tqdm(range(num), desc=f'synthetic {split}', disable=not progress):
        rng = np.random.default_rng([seed, split_idx, i])
        img, people = _render(rng, size, max_persons)
        image_id = i + 1
        name = f'{image_id:012d}.jpg'
        cv2.imwrite(osp.join(img_dir, name), img, [cv2.IMWRITE_JPEG_QUALITY, 95])
        images.append(dict(id=image_id, file_name=name, width=size[0], height=size[1]))
        for kpts, vis in people:
            if (vis > 0).sum() < 3:
                continue  # too little of this person is labelled: left unannotated
            ann = _annotation(kpts, vis, size, len(anns) + 1, image_id)
            anns.append(ann)
            x, y, bw, bh = ann['bbox']
            jitter = rng.uniform(-0.05, 0.05, 4) * [bw, bh, bw, bh]
            dets.append(dict(image_id=image_id, category_id=1, score=round(rng.uniform(0.6, 1), 4),
                             bbox=[round(float(v), 2) for v in np.array([x, y, bw, bh]) + jitter]))
        if rng.random() < 0.2:  # a low-score false positive
            bw, bh = rng.uniform(0.1, 0.3, 2) * size
            dets.append(dict(image_id=image_id, category_id=1, score=round(rng.uniform(0.05, 0.3), 4),
                             bbox=[round(float(v), 2) for v in
                                   (rng.uniform(0, size[0] - bw), rng.uniform(0, size[1] - bh), bw, bh)]))
    coco = dict(info=dict(description=f'synthetic COCO person keypoints ({split})',
                          version=GENERATOR_VERSION),
                images=images, annotations=anns,
                categories=[dict(id=1, name='person', supercategory='person',
                                 keypoints=COCO_KEYPOINT_NAMES, skeleton=COCO_SKELETON)])
    return coco, dets


def _meta(num_train, num_val, image_size, seed, max_persons) -> Dict:
    return dict(version=GENERATOR_VERSION, num_train=num_train, num_val=num_val,
                image_size=list(image_size), seed=seed, max_persons=max_persons)


def _paths(out_dir: str) -> Dict[str, str]:
    return dict(data_root=out_dir,
                train_ann=osp.join(out_dir, 'annotations', 'person_keypoints_train.json'),
                val_ann=osp.join(out_dir, 'annotations', 'person_keypoints_val.json'),
                val_dets=osp.join(out_dir, 'person_detection_results', 'val_detections.json'),
                train_img_dir=osp.join(out_dir, 'images', 'train'),
                val_img_dir=osp.join(out_dir, 'images', 'val'))


def generate_synthetic_coco(out_dir: str, num_train: int = 200, num_val: int = 50,
                            image_size: Tuple[int, int] = (256, 256), seed: int = 0,
                            max_persons: int = 3, progress: bool = True) -> Dict[str, str]:
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

    Returns:
        dict: ``data_root``, ``train_ann``, ``val_ann``, ``val_dets``, ``train_img_dir``,
        ``val_img_dir``.
    """
    size = tuple(int(s) for s in image_size)
    paths = _paths(out_dir)
    for sub in ('annotations', 'person_detection_results'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    for split_idx, (split, num) in enumerate((('train', num_train), ('val', num_val))):
        coco, dets = _split(out_dir, split, split_idx, num, size, seed, max_persons, progress)
        with open(paths[f'{split}_ann'], 'w') as f:
            json.dump(coco, f)
        if split == 'val':
            with open(paths['val_dets'], 'w') as f:
                json.dump(dets, f)
    with open(osp.join(out_dir, 'meta.json'), 'w') as f:
        json.dump(_meta(num_train, num_val, size, seed, max_persons), f, indent=2)
    return paths


def dataset_is_complete(out_dir: str, num_train: int = 200, num_val: int = 50,
                        image_size: Tuple[int, int] = (256, 256), seed: int = 0,
                        max_persons: int = 3) -> bool:
    """True if ``out_dir`` holds a complete dataset generated with exactly these arguments."""
    paths = _paths(out_dir)
    meta_file = osp.join(out_dir, 'meta.json')
    if not all(osp.isfile(p) for p in (meta_file, paths['train_ann'], paths['val_ann'],
                                       paths['val_dets'])):
        return False
    with open(meta_file) as f:
        if json.load(f) != _meta(num_train, num_val, tuple(image_size), seed, max_persons):
            return False
    for split in ('train', 'val'):
        with open(paths[f'{split}_ann']) as f:
            names = [img['file_name'] for img in json.load(f)['images']]
        if not all(osp.isfile(osp.join(paths[f'{split}_img_dir'], n)) for n in names):
            return False
    return True
