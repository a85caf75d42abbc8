"""The synthetic COCO generator: deterministic, valid COCO keypoints, consistent flags."""
import hashlib
import json

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from eba_tools.coco_check import check_coco_keypoints
from eba_tools.synthetic_coco import (_MARKER_COLORS, COCO_KEYPOINT_NAMES, COCO_SKELETON,
                                      dataset_is_complete, generate_synthetic_coco)

ARGS = dict(num_train=6, num_val=3, image_size=(128, 96), seed=3)


def digest(root):
    h = hashlib.sha256()
    for path in sorted(root.rglob('*')):
        if path.is_file() and path.name != 'meta.json':
            h.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('synth')
    return root, generate_synthetic_coco(str(root), progress=False, **ARGS)


def test_deterministic_per_seed(data, tmp_path):
    root, _ = data
    generate_synthetic_coco(str(tmp_path / 'same'), progress=False, **ARGS)
    assert digest(tmp_path / 'same') == digest(root)
    generate_synthetic_coco(str(tmp_path / 'other'), progress=False, **dict(ARGS, seed=4))
    assert digest(tmp_path / 'other') != digest(root)


def test_valid_coco_keypoints_for_pycocotools_and_checker(data):
    root, paths = data
    for split in ('train', 'val'):
        coco = COCO(paths[f'{split}_ann'])
        assert len(coco.getImgIds()) == ARGS[f'num_{split}']
        cat = coco.loadCats(1)[0]
        assert cat['keypoints'] == COCO_KEYPOINT_NAMES and cat['skeleton'] == COCO_SKELETON
        check_coco_keypoints(paths[f'{split}_ann'], paths[f'{split}_img_dir'],
                             paths['val_dets'] if split == 'val' else None, progress=False)


def test_flags_boxes_and_counts_are_consistent(data):
    _, paths = data
    w, h = ARGS['image_size']
    anns = json.loads(open(paths['train_ann']).read())['annotations']
    assert anns
    for ann in anns:
        k = np.array(ann['keypoints']).reshape(17, 3)
        assert set(np.unique(k[:, 2])) <= {0, 1, 2}
        assert (k[k[:, 2] == 0, :2] == 0).all()  # COCO: unlabelled -> x = y = 0
        lab = k[k[:, 2] > 0]
        assert ((lab[:, 0] >= 0) & (lab[:, 0] <= w - 1) & (lab[:, 1] >= 0)
                & (lab[:, 1] <= h - 1)).all()
        assert ann['num_keypoints'] == len(lab) >= 3
        x, y, bw, bh = ann['bbox']
        assert x >= 0 and y >= 0 and x + bw <= w and y + bh <= h and ann['area'] > 0
        assert ann['iscrowd'] == 0 and ann['category_id'] == 1


def test_visible_joints_show_their_marker_colour(data):
    """Joints are identifiable: a visible joint's pixel is close to its marker colour."""
    _, paths = data
    coco = json.loads(open(paths['train_ann']).read())
    names = {img['id']: img['file_name'] for img in coco['images']}
    close = total = 0
    for ann in coco['annotations']:
        img = cv2.imread(f"{paths['train_img_dir']}/{names[ann['image_id']]}").astype(int)
        for j, (x, y, v) in enumerate(np.array(ann['keypoints']).reshape(17, 3)):
            if v == 2:
                total += 1
                close += np.abs(img[int(round(y)), int(round(x))] - _MARKER_COLORS[j]).max() < 60
    assert total > 20 and close / total > 0.7  # later figures/occluders may cover a few


def test_detection_file(data):
    _, paths = data
    dets = json.loads(open(paths['val_dets']).read())
    assert dets and all(set(d) == {'image_id', 'category_id', 'bbox', 'score'} for d in dets)
    assert all(0 < d['score'] <= 1 and len(d['bbox']) == 4 for d in dets)


def test_dataset_is_complete(data, tmp_path):
    root, paths = data
    assert dataset_is_complete(str(root), **ARGS)
    assert not dataset_is_complete(str(root), **dict(ARGS, seed=9))
    assert not dataset_is_complete(str(tmp_path / 'empty'), **ARGS)


def test_hard_difficulty_is_crowded_deterministic_and_recorded(tmp_path):
    from eba_tools.synthetic_coco import HARD, Difficulty
    args = dict(num_train=2, num_val=12, image_size=(192, 192), seed=0, max_persons=6,
                difficulty=HARD, progress=False)
    paths = generate_synthetic_coco(str(tmp_path / 'hard'), **args)
    generate_synthetic_coco(str(tmp_path / 'again'), **args)
    assert digest(tmp_path / 'hard') == digest(tmp_path / 'again')
    val = json.loads(open(paths['val_ann']).read())
    per_image = np.bincount([a['image_id'] for a in val['annotations']], minlength=13)[1:]
    assert per_image.mean() >= 2.5  # 2-6 people per image (a few too truncated to annotate)
    heights = [a['bbox'][3] for a in val['annotations']]
    assert max(heights) / min(heights) > 2.0  # a wide scale range
    check_coco_keypoints(paths['val_ann'], paths['val_img_dir'], paths['val_dets'],
                         progress=False)  # raises on an invalid file
    meta = json.loads((tmp_path / 'hard' / 'meta.json').read_text())
    assert meta['difficulty'] == dict(min_persons=2, height_range=[0.25, 0.9],
                                      occluder_prob=0.5, limb_clutter=[3, 8],
                                      back_view_prob=0.0)
    assert dataset_is_complete(str(tmp_path / 'hard'), **{k: v for k, v in args.items()
                                                           if k != 'progress'})
    assert not dataset_is_complete(str(tmp_path / 'hard'), **dict(
        {k: v for k, v in args.items() if k != 'progress'}, difficulty=Difficulty()))


@pytest.mark.parametrize('back_view_prob,left_on_image_right', [(0.0, True), (1.0, False)])
def test_default_figures_face_the_camera(tmp_path, back_view_prob, left_on_image_right):
    """Facing the camera, a person's left shoulder and hip lie right of the right ones in the
    image (lean + rotation stay under 90 degrees), so a flip keeps the labels consistent."""
    from eba_tools.synthetic_coco import Difficulty
    paths = generate_synthetic_coco(str(tmp_path), progress=False,
                                    difficulty=Difficulty(back_view_prob=back_view_prob), **ARGS)
    pairs = 0
    for ann in json.loads(open(paths['train_ann']).read())['annotations']:
        k = np.array(ann['keypoints']).reshape(17, 3)
        for left, right in ((5, 6), (11, 12)):
            if k[left, 2] and k[right, 2]:
                pairs += 1
                assert (k[left, 0] > k[right, 0]) == left_on_image_right, ann['keypoints']
    assert pairs > 10
    assert Difficulty().back_view_prob == 0.0  # the demo set's default


def test_demo_set_from_before_the_front_view_default_is_regenerated(data):
    """A version-1 demo set (half back views, no difficulty in meta.json) is not complete."""
    root, _ = data
    meta = json.loads((root / 'meta.json').read_text())
    assert meta['difficulty']['back_view_prob'] == 0.0
    old = {k: v for k, v in meta.items() if k != 'difficulty'}
    (root / 'meta.json').write_text(json.dumps(old))
    try:
        assert not dataset_is_complete(str(root), **ARGS)
    finally:
        (root / 'meta.json').write_text(json.dumps(meta))
    assert dataset_is_complete(str(root), **ARGS)
