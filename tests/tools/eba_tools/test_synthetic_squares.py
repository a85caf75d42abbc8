"""The 5-keypoint squares set: deterministic, valid COCO keypoints, geometry the names promise."""
import json

import numpy as np
import pytest

from eba_tools.coco_check import check_coco_keypoints
from eba_tools.synthetic_squares import (SQUARE_KEYPOINT_NAMES, generate_synthetic_squares,
                                         squares_dataset_is_complete, squares_metainfo)

ARGS = dict(num_train=6, num_val=3, image_size=(96, 96), seed=2)


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('squares')
    return root, generate_synthetic_squares(str(root), progress=False, **ARGS)


def files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob('*'))
            if p.is_file()}


def test_deterministic_per_seed(data, tmp_path):
    root, _ = data
    generate_synthetic_squares(str(tmp_path / 'same'), progress=False, **ARGS)
    assert files(tmp_path / 'same') == files(root)
    generate_synthetic_squares(str(tmp_path / 'other'), progress=False, **dict(ARGS, seed=3))
    assert files(tmp_path / 'other') != files(root)


def test_valid_coco_with_five_keypoints(data):
    _, paths = data
    for split in ('train', 'val'):
        report = check_coco_keypoints(paths[f'{split}_ann'], paths[f'{split}_img_dir'],
                                      paths['val_dets'] if split == 'val' else None,
                                      progress=False)
        assert report['keypoints'] == 5 and report['keypoint_names'] == SQUARE_KEYPOINT_NAMES
        assert report['images'] == ARGS[f'num_{split}']


def test_corners_are_where_their_names_say(data):
    _, paths = data
    anns = json.loads(open(paths['train_ann']).read())['annotations']
    assert len(anns) >= ARGS['num_train']
    complete = 0
    for ann in anns:
        k = np.array(ann['keypoints']).reshape(5, 3)
        assert set(np.unique(k[:, 2])) <= {0, 1, 2}
        assert (k[k[:, 2] == 0, :2] == 0).all()
        if (k[:, 2] > 0).all():
            complete += 1
            tl, tr, br, bl, c = k[:, :2]
            assert tl[0] < tr[0] and bl[0] < br[0]  # left corners left of right ones
            assert tl[1] < bl[1] and tr[1] < br[1]  # top corners above bottom ones
            np.testing.assert_allclose(c, k[:4, :2].mean(0), atol=0.02)
    assert complete > 0


def test_is_complete(data, tmp_path):
    root, _ = data
    assert squares_dataset_is_complete(str(root), **ARGS)
    assert not squares_dataset_is_complete(str(root), **dict(ARGS, num_train=7))
    assert not squares_dataset_is_complete(str(tmp_path), **ARGS)


def test_metainfo_matches_the_files(data):
    """The metainfo the worked config uses names the annotation files' keypoints in order."""
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    _, paths = data
    parsed = parse_pose_metainfo(squares_metainfo())
    category = json.loads(open(paths['train_ann']).read())['categories'][0]
    assert [parsed['keypoint_id2name'][i] for i in range(5)] == category['keypoints']
    assert parsed['flip_indices'] == [1, 0, 3, 2, 4]  # corners swap left/right, centre stays
    assert parsed['num_skeleton_links'] == len(category['skeleton'])
