"""COCO keypoint files, their images and box files: every problem named with its file or key;
the datasets of a config."""
import json

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmpose.registry import TRANSFORMS

from eba_tools import DEMO_CONFIG
from eba_tools.coco_check import DatasetCheckError, check_coco_keypoints, check_config_datasets
from eba_tools.demo_job import set_data_root

K = 17


def write_dataset(root, n=3):
    (root / 'img').mkdir(parents=True)
    images, anns = [], []
    for i in range(1, n + 1):
        cv2.imwrite(str(root / 'img' / f'{i}.jpg'), np.full((32, 32, 3), 80, np.uint8))
        images.append(dict(id=i, file_name=f'{i}.jpg', width=32, height=32))
        anns.append(dict(id=i, image_id=i, category_id=1, bbox=[2, 2, 20, 20], area=400,
                         iscrowd=0, num_keypoints=K, keypoints=[5, 5, 2] * K))
    data = dict(images=images, annotations=anns,
                categories=[dict(id=1, name='person', keypoints=[str(k) for k in range(K)],
                                 skeleton=[])])
    (root / 'ann.json').write_text(json.dumps(data))
    (root / 'dets.json').write_text(json.dumps([dict(image_id=1, category_id=1,
                                                     bbox=[1, 1, 9, 9], score=0.9)]))
    return data


def test_valid_dataset_passes(tmp_path):
    write_dataset(tmp_path)
    report = check_coco_keypoints(str(tmp_path / 'ann.json'), str(tmp_path / 'img'),
                                  str(tmp_path / 'dets.json'), progress=False)
    assert report == dict(images=3, annotations=3, keypoints=K,
                          keypoint_names=[str(k) for k in range(K)])


def test_every_problem_is_named(tmp_path):
    data = write_dataset(tmp_path)
    (tmp_path / 'img' / '2.jpg').write_bytes(b'garbage')
    (tmp_path / 'img' / '3.jpg').unlink()
    data['annotations'][0]['keypoints'] = [1, 2, 2]
    del data['annotations'][1]['bbox']
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    with pytest.raises(DatasetCheckError) as err:
        check_coco_keypoints(str(tmp_path / 'ann.json'), str(tmp_path / 'img'), progress=False)
    problems = str(err.value).split('\n  ')[1:]
    assert len(problems) == 4
    # each problem names its file (images) or its annotation id and key
    assert any('2.jpg' in p and 'decode' in p for p in problems)
    assert any('3.jpg' in p and 'not found' in p for p in problems)
    assert any('annotation id 1' in p and '"keypoints"' in p and '3 x 17' in p for p in problems)
    assert any('annotation id 2' in p and '"bbox"' in p for p in problems)


@pytest.mark.parametrize('content,match', [  # what is wrong with the file
    (None, 'not found'),
    ('{not json', 'JSON'),
    (json.dumps([1, 2]), 'list'),
    (json.dumps(dict(images=[], annotations=[])), 'categories'),
    (json.dumps(dict(images=[], annotations=[], categories=[dict(id=1, name='person')])),
     '"keypoints"'),
])
def test_not_a_coco_keypoint_file(tmp_path, content, match):
    ann = tmp_path / 'ann.json'
    if content is not None:
        ann.write_text(content)
    with pytest.raises(DatasetCheckError, match=match):
        check_coco_keypoints(str(ann), str(tmp_path), progress=False)


def test_box_file_problems_are_named(tmp_path):
    write_dataset(tmp_path)
    (tmp_path / 'dets.json').write_text(json.dumps([dict(image_id=9, bbox=[1, 1, 2, 2],
                                                         score=0.5), dict(image_id=1)]))
    with pytest.raises(DatasetCheckError) as err:
        check_coco_keypoints(str(tmp_path / 'ann.json'), str(tmp_path / 'img'),
                             str(tmp_path / 'dets.json'), progress=False)
    problems = str(err.value).split('\n  ')[1:]
    assert len(problems) == 2 and 'image_id 9' in problems[0] and 'bbox' in problems[1]


def test_datasets_of_a_config(tmp_path):
    cfg = Config.fromfile(DEMO_CONFIG)
    set_data_root(cfg, str(tmp_path / 'nowhere'))
    with pytest.raises(DatasetCheckError, match='nowhere/annotations/person_keypoints_train.json'):
        check_config_datasets(cfg, progress=False)


def test_mmpose_names_an_undecodable_image_too(tmp_path):
    """What docs/train_test.md says training shows for a corrupt image."""
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'\xff\xd8 not really a jpeg')
    with pytest.raises(Exception, match='broken.jpg'):
        TRANSFORMS.build(dict(type='LoadImage'))(dict(img_path=str(bad)))
