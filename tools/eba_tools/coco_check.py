"""Check COCO-format keypoint files before training: every problem named with its file/key.

:func:`check_coco_keypoints` checks one annotation file, its images and an optional detection-box
file; :func:`check_config_datasets` runs it on every dataset of an MMPose config. The config's
own consistency (sizes, metainfo, types) is :mod:`eba_tools.config_check`.

The files are untrusted input: they are read as JSON only (never YAML or pickle, whose readers
can run code from the file), their structure and types are checked before use, and an image's
``file_name`` must name a file inside the image folder (an absolute path, ``..`` or a symlink
that leads out of it is refused without being read).
"""
import json
import math
import os.path as osp
from typing import Any, Dict, List, Optional

import cv2
from tqdm import tqdm


class DatasetCheckError(ValueError):
    """A dataset is unusable; the message lists every problem found."""


#: mmengine.fileio.load picks its reader from the extension: only this one cannot run code
JSON_SUFFIX = '.json'
#: extensions mmengine.fileio.load reads with a reader that runs code the file asks for
CODE_RUNNING = {'.yaml': "PyYAML's unsafe loader (a !!python/object tag runs code)",
                '.yml': "PyYAML's unsafe loader (a !!python/object tag runs code)",
                '.pkl': 'pickle (unpickling runs code from the file)',
                '.pickle': 'pickle (unpickling runs code from the file)'}


def is_json_name(path) -> bool:
    """Whether ``path`` ends in ``.json``: what ``mmengine.fileio.load`` reads as JSON."""
    return str(path).endswith(JSON_SUFFIX)


def not_json_problem(path, what: str) -> str:
    """One line: ``path`` (a ``what``, e.g. ``bbox_file``) is refused, why and the fix."""
    ext = osp.splitext(str(path))[1].lower()
    if ext in CODE_RUNNING:
        why = (f'MMPose would read it with mmengine.fileio.load, that is {CODE_RUNNING[ext]}, '
               f'and data files are untrusted')
    else:
        why = ('mmengine.fileio.load picks its reader by the extension and only .json is read '
               'without running code')
    return (f'{what}={path}: refused, not a .json file: {why}; convert it to COCO-format JSON '
            f'(e.g. json.dump of the same list or dict) in a file ending in .json and point '
            f'{what} at it')


def _show(value: Any) -> str:
    """A value from an untrusted file, on one line (``repr`` when it is not plain text)."""
    text = str(value)
    return text if text.isprintable() and len(text) <= 200 else repr(value)[:200]


def _kind(value: Any) -> str:
    """``a list``, ``an int``, ``null``: what a JSON value is, for a message."""
    if value is None:
        return 'null'
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _is_id(value: Any) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _load_json(path: str, what: str) -> Any:
    """The JSON in ``path``; :class:`DatasetCheckError` (one line) when it cannot be read."""
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except RecursionError:
        raise DatasetCheckError(f'{path} nests arrays or objects too deeply to be a {what} '
                                f'(a COCO file is a few levels deep): regenerate it') from None
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError, an over-long integer
        raise DatasetCheckError(f'{path} is not valid JSON: {_show(e)}') from None
    except OSError as e:
        raise DatasetCheckError(f'cannot read {path}: {e.strerror or e}') from None


def _inside(path: str, root: str) -> bool:
    """Whether ``path`` resolves (symlinks followed) to a place inside the resolved ``root``."""
    real = osp.realpath(path)
    try:
        return osp.commonpath([root, real]) == root
    except ValueError:  # different drives
        return False


def _image_path(img: Dict, img_dir: str, root: str) -> 'tuple[Optional[str], Optional[str]]':
    """``(path, None)`` for an image inside ``img_dir`` (resolved: ``root``), else
    ``(None, problem)``."""
    name = img['file_name']
    where = f'image id {_show(img["id"])}'
    if osp.isabs(name):
        return None, (f'image file_name {_show(name)} ({where}) is an absolute path: refused, '
                      f'not read; give it relative to the image folder {img_dir}')
    path = osp.join(img_dir, name)
    if not _inside(path, root):
        return None, (f'image file_name {_show(name)} ({where}) leads outside the image folder '
                      f'{img_dir} (".." or a symlink): refused, not read; put the image inside '
                      f'the folder and give its path relative to it')
    return path, None


def _check_categories(ann_file: str, cats: List) -> List[Dict]:
    """The categories with keypoint names; fatal problems raise."""
    bad = [f'{ann_file}: categories[{i}] is {_kind(c)}, expected an object'
           for i, c in enumerate(cats) if not isinstance(c, dict)]
    if bad:
        raise DatasetCheckError('\n  '.join(bad))
    with_kpts = [c for c in cats if 'keypoints' in c]
    if not with_kpts:
        raise DatasetCheckError(f'{ann_file} has no category with "keypoints": it is not a COCO '
                                f'*keypoints* file (a detection or caption file?)')
    names = with_kpts[0]['keypoints']
    if (not isinstance(names, list) or not names
            or not all(isinstance(n, str) for n in names)):
        raise DatasetCheckError(f'{ann_file}: the "keypoints" of category '
                                f'{_show(with_kpts[0].get("id"))} must be a non-empty list of '
                                f'keypoint names (strings), got {_show(names)[:80]}')
    return with_kpts


def _check_images(ann_file: str, images: List) -> 'tuple[List[Dict], set, List[str]]':
    """(usable images, their ids, problems)."""
    good, ids, problems = [], {}, []
    for i, img in enumerate(images):
        where = f'{ann_file}: images[{i}]'
        if not isinstance(img, dict):
            problems.append(f'{where} is {_kind(img)}, expected an object')
            continue
        found = []
        if 'id' not in img:
            found.append(f'{where} has no "id"')
        elif not _is_id(img['id']):
            found.append(f'{where}: "id" is {_kind(img["id"])}, expected an integer')
        elif img['id'] in ids:
            found.append(f'{where}: id {_show(img["id"])} repeats images[{ids[img["id"]]}]; '
                         f'image ids must be unique')
        else:
            ids[img['id']] = i
        name = img.get('file_name')
        if name is None:
            found.append(f'{where} has no "file_name"')
        elif not isinstance(name, str) or not name or '\0' in name:
            found.append(f'{where}: "file_name" must be a non-empty path string, got '
                         f'{_show(name)[:80]}')
        problems += found
        if not found:
            good.append(img)
    return good, set(ids), problems


def _check_annotations(ann_file: str, anns: List, image_ids: set, num_kpts: int) -> List[str]:
    problems = []
    for i, ann in enumerate(anns):
        if not isinstance(ann, dict):
            problems.append(f'{ann_file}: annotations[{i}] is {_kind(ann)}, expected an object')
            continue
        where = f'{ann_file}: annotation id {_show(ann.get("id"))}'
        for key in ('image_id', 'bbox', 'keypoints'):
            if key not in ann:
                problems.append(f'{where} has no "{key}"')
        kpts = ann.get('keypoints')
        if 'keypoints' in ann:
            if not isinstance(kpts, list) or not all(_is_number(v) for v in kpts):
                problems.append(f'{where}: "keypoints" must be a list of numbers (x, y, v '
                                f'triplets), got {_show(kpts)[:80]}')
            elif len(kpts) != 3 * num_kpts:
                problems.append(f'{where}: "keypoints" has {len(kpts)} values, expected '
                                f'3 x {num_kpts}')
        bbox = ann.get('bbox')
        if 'bbox' in ann and not (isinstance(bbox, list) and len(bbox) == 4
                                  and all(_is_number(v) for v in bbox)):
            problems.append(f'{where}: "bbox" must be 4 numbers [x, y, w, h], got '
                            f'{_show(bbox)[:80]}')
        if 'image_id' in ann:
            image_id = ann['image_id']
            if not _is_id(image_id):
                problems.append(f'{where}: "image_id" is {_kind(image_id)}, expected an '
                                f'integer')
            elif image_id not in image_ids:
                problems.append(f'{where}: image_id {_show(image_id)} is not in "images"')
    return problems


def check_coco_keypoints(ann_file: str, img_dir: str, bbox_file: Optional[str] = None,
                         decode_images: bool = True, progress: bool = True) -> Dict:
    """Validate a COCO person-keypoint annotation file, its images and optional box file.

    Args:
        ann_file (str): COCO keypoint annotation JSON (a ``.json`` file).
        img_dir (str): Folder the images' ``file_name`` are relative to; an image outside it
            (absolute path, ``..``, a symlink out) is refused without being read.
        bbox_file (str, optional): MMPose detection-box JSON (list of ``image_id``, ``bbox``,
            ``score``; a ``.json`` file).
        decode_images (bool): Also decode every image (slower, catches corrupt files).
        progress (bool): Show a progress bar over images.

    Returns:
        dict: counts of ``images``, ``annotations``, ``keypoints`` per instance, and the
        category's ``keypoint_names``.

    Raises:
        DatasetCheckError: naming each missing file, missing key or wrong type, undecodable
        image and refused file (not ``.json``, or an image outside ``img_dir``).
    """
    if not is_json_name(ann_file):
        raise DatasetCheckError(not_json_problem(ann_file, 'ann_file'))
    if not osp.isfile(ann_file):
        raise DatasetCheckError(f'annotation file not found: {ann_file}')
    data = _load_json(ann_file, 'COCO annotation file')
    if not isinstance(data, dict):
        raise DatasetCheckError(f'{ann_file} is not a COCO annotation file (top level is a '
                                f'{type(data).__name__}, expected an object)')
    missing = [k for k in ('images', 'annotations', 'categories') if k not in data]
    if missing:
        raise DatasetCheckError(f'{ann_file} is not a COCO annotation file: missing key(s) '
                                f'{missing}')
    not_lists = [f'"{k}" is {_kind(data[k])}' for k in ('images', 'annotations', 'categories')
                 if not isinstance(data[k], list)]
    if not_lists:
        raise DatasetCheckError(f'{ann_file} is not a COCO annotation file: '
                                f'{", ".join(not_lists)}, expected a list')
    cats = _check_categories(ann_file, data['categories'])
    num_kpts = len(cats[0]['keypoints'])
    images, image_ids, problems = _check_images(ann_file, data['images'])
    problems += _check_annotations(ann_file, data['annotations'], image_ids, num_kpts)
    root = osp.realpath(img_dir)
    for img in tqdm(images, desc='checking images', disable=not progress):
        path, refused = _image_path(img, img_dir, root)
        if refused:
            problems.append(refused)
        elif not osp.isfile(path):
            problems.append(f'image not found: {path} (image id {_show(img["id"])})')
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
    if not is_json_name(bbox_file):
        return [not_json_problem(bbox_file, 'bbox_file')]
    if not osp.isfile(bbox_file):
        return [f'detection box file not found: {bbox_file}']
    try:
        dets = _load_json(bbox_file, 'detection box file')
    except DatasetCheckError as e:
        return [f'{e} (expected a JSON list of COCO detection results)']
    if not isinstance(dets, list):
        return [f'{bbox_file}: expected a JSON list of detections']
    problems = []
    for i, det in enumerate(dets):
        if not isinstance(det, dict):
            problems.append(f'{bbox_file}: detection {i} is {_kind(det)}, expected an object '
                            f'with image_id, bbox and score')
            continue
        missing = [k for k in ('image_id', 'bbox', 'score') if k not in det]
        if missing:
            problems.append(f'{bbox_file}: detection {i} has no {missing}')
        elif not _is_id(det['image_id']):
            problems.append(f'{bbox_file}: detection {i}: "image_id" is '
                            f'{_kind(det["image_id"])}, expected an integer')
        elif det['image_id'] not in image_ids:
            problems.append(f'{bbox_file}: detection {i} refers to unknown image_id '
                            f'{_show(det["image_id"])}')
        elif not (isinstance(det['bbox'], list) and len(det['bbox']) == 4
                  and all(_is_number(v) for v in det['bbox'])):
            problems.append(f'{bbox_file}: detection {i}: "bbox" must be 4 numbers '
                            f'[x, y, w, h], got {_show(det["bbox"])[:80]}')
        elif not _is_number(det['score']):
            problems.append(f'{bbox_file}: detection {i}: "score" must be a number, got '
                            f'{_show(det["score"])[:80]}')
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
