"""Shared machinery of the seeded synthetic COCO-format keypoint sets.

A set is described by a :class:`SyntheticKeypointSet`: its keypoint names and skeleton, the
file-name prefix of its annotation files and a ``render`` function that draws one image and
returns its instances. Everything else is common to every set: one seeded generator per image,
COCO visibility flags (2 visible, 1 labelled but occluded, 0 outside the image with
``x = y = 0``), padded boxes, a detection-box file with jittered boxes and low-score false
positives, ``meta.json`` and the completeness check. ``synthetic_coco`` (17 person keypoints)
and ``synthetic_squares`` (5 square keypoints) are built on it.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence, Tuple

import cv2
import numpy as np
from tqdm import tqdm

#: ``render(rng, (W, H), max_instances) -> (image, [(keypoints (K, 2), visibility (K,)), ...])``
RenderFn = Callable[[np.random.Generator, Tuple[int, int], int],
                    Tuple[np.ndarray, List[Tuple[np.ndarray, np.ndarray]]]]


@dataclass(frozen=True)
class SyntheticKeypointSet:
    """What distinguishes one synthetic keypoint set from another.

    Args:
        keypoint_names (Sequence[str]): The K keypoint names, in annotation order.
        skeleton (Sequence[Sequence[int]]): Links between keypoints, 1-indexed as in COCO files.
        category (str): COCO category name (``person``, ``square``).
        ann_prefix (str): Annotation files are ``annotations/{ann_prefix}_{split}.json``.
        description (str): ``info.description`` of the annotation files; ``{split}`` is
            replaced by the split name.
        render (RenderFn): Draws one image and returns its instances.
        version (int): Generator version, stored in the files and ``meta.json``.
    """
    keypoint_names: Sequence[str]
    skeleton: Sequence[Sequence[int]]
    category: str
    ann_prefix: str
    description: str
    render: RenderFn
    version: int = 1


def background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A textured background: a colour gradient, low-frequency noise and muted distractors."""
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


def visibility(kpts: np.ndarray, size: Tuple[int, int],
               later_layers: Sequence[np.ndarray]) -> Tuple[np.ndarray, np.ndarray]:
    """COCO flags of one instance's keypoints.

    Args:
        kpts (np.ndarray): (K, 2) keypoints in pixels.
        size (tuple[int, int]): Image (W, H).
        later_layers (Sequence[np.ndarray]): Masks (H, W) of everything drawn after the instance.

    Returns:
        tuple: keypoints with ``x = y = 0`` where unlabelled, and flags (K,): 2 inside the image
        and not covered, 1 inside but covered by a later layer, 0 outside.
    """
    w, h = size
    inside = (kpts[:, 0] >= 0) & (kpts[:, 0] <= w - 1) & (kpts[:, 1] >= 0) & (kpts[:, 1] <= h - 1)
    vis = np.where(inside, 2, 0)
    xy = np.clip(np.round(kpts).astype(int), 0, [w - 1, h - 1])
    for later in later_layers:
        vis[inside & (later[xy[:, 1], xy[:, 0]] > 0)] = 1
    return np.where(vis[:, None] > 0, kpts, 0.0), vis


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


def _split(spec: SyntheticKeypointSet, out_dir: str, split: str, split_idx: int, num: int, size,
           seed: int, max_instances: int, progress: bool) -> Tuple[Dict, List[Dict]]:
    img_dir = osp.join(out_dir, 'images', split)
    os.makedirs(img_dir, exist_ok=True)
    images, anns, dets = [], [], []
    for i in tqdm(range(num), desc=f'synthetic {split}', disable=not progress):
        rng = np.random.default_rng([seed, split_idx, i])
        img, instances = spec.render(rng, size, max_instances)
        image_id = i + 1
        name = f'{image_id:012d}.jpg'
        cv2.imwrite(osp.join(img_dir, name), img, [cv2.IMWRITE_JPEG_QUALITY, 95])
        images.append(dict(id=image_id, file_name=name, width=size[0], height=size[1]))
        for kpts, vis in instances:
            if (vis > 0).sum() < 3:
                continue  # too little of this instance is labelled: left unannotated
            ann = _annotation(kpts, vis, size, len(anns) + 1, image_id)
            anns.append(ann)
            x, y, bw, bh = ann['bbox']
            jitter = rng.uniform(-0.05, 0.05, 4) * [bw, bh, bw, bh]
            score = round(rng.uniform(0.6, 1), 4)
            box = np.array([x, y, bw, bh]) + jitter
            dets.append(dict(image_id=image_id, category_id=1, score=score,
                             bbox=[round(float(v), 2) for v in box]))
        if rng.random() < 0.2:  # a low-score false positive
            bw, bh = rng.uniform(0.1, 0.3, 2) * size
            score = round(rng.uniform(0.05, 0.3), 4)
            box = (rng.uniform(0, size[0] - bw), rng.uniform(0, size[1] - bh), bw, bh)
            dets.append(dict(image_id=image_id, category_id=1, score=score,
                             bbox=[round(float(v), 2) for v in box]))
    coco = dict(info=dict(description=spec.description.format(split=split),
                          version=spec.version),
                images=images, annotations=anns,
                categories=[dict(id=1, name=spec.category, supercategory=spec.category,
                                 keypoints=list(spec.keypoint_names),
                                 skeleton=[list(link) for link in spec.skeleton])])
    return coco, dets


def dataset_paths(spec: SyntheticKeypointSet, out_dir: str) -> Dict[str, str]:
    """Where a set's files are: ``data_root``, ``{train,val}_ann``, ``val_dets``,
    ``{train,val}_img_dir``."""
    return dict(data_root=out_dir,
                train_ann=osp.join(out_dir, 'annotations', f'{spec.ann_prefix}_train.json'),
                val_ann=osp.join(out_dir, 'annotations', f'{spec.ann_prefix}_val.json'),
                val_dets=osp.join(out_dir, 'person_detection_results', 'val_detections.json'),
                train_img_dir=osp.join(out_dir, 'images', 'train'),
                val_img_dir=osp.join(out_dir, 'images', 'val'))


def generate(spec: SyntheticKeypointSet, out_dir: str, num_train: int, num_val: int,
             image_size: Tuple[int, int], seed: int, max_instances: int, meta: Dict,
             progress: bool = True) -> Dict[str, str]:
    """Write a set under ``out_dir``; the same arguments give byte-identical files.

    Args:
        spec (SyntheticKeypointSet): The set.
        out_dir (str): Output folder.
        num_train (int): Training images.
        num_val (int): Validation images.
        image_size (tuple[int, int]): (W, H).
        seed (int): Random seed.
        max_instances (int): Most instances per image.
        meta (dict): Written to ``meta.json``; :func:`is_complete` compares it.
        progress (bool): Show progress bars. Defaults to True.

    Returns:
        dict: :func:`dataset_paths`.
    """
    size = tuple(int(s) for s in image_size)
    paths = dataset_paths(spec, out_dir)
    for sub in ('annotations', 'person_detection_results'):
        os.makedirs(osp.join(out_dir, sub), exist_ok=True)
    for split_idx, (split, num) in enumerate((('train', num_train), ('val', num_val))):
        coco, dets = _split(spec, out_dir, split, split_idx, num, size, seed, max_instances,
                            progress)
        with open(paths[f'{split}_ann'], 'w') as f:
            json.dump(coco, f)
        if split == 'val':
            with open(paths['val_dets'], 'w') as f:
                json.dump(dets, f)
    with open(osp.join(out_dir, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
    return paths


def is_complete(spec: SyntheticKeypointSet, out_dir: str, meta: Dict) -> bool:
    """True if ``out_dir`` holds every file of a set generated with exactly ``meta``."""
    paths = dataset_paths(spec, out_dir)
    meta_file = osp.join(out_dir, 'meta.json')
    if not all(osp.isfile(p) for p in (meta_file, paths['train_ann'], paths['val_ann'],
                                       paths['val_dets'])):
        return False
    with open(meta_file) as f:
        if json.load(f) != meta:
            return False
    for split in ('train', 'val'):
        with open(paths[f'{split}_ann']) as f:
            names = [img['file_name'] for img in json.load(f)['images']]
        if not all(osp.isfile(osp.join(paths[f'{split}_img_dir'], n)) for n in names):
            return False
    return True
