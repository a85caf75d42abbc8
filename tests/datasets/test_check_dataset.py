"""tools/check_dataset.py and its library: every problem named with its file or key."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from eba_prnetcc_mmpose.datasets.check import DatasetCheckError, check_coco_keypoints

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
    assert report == dict(images=3, annotations=3, keypoints=K)


def test_every_problem_is_named(tmp_path):
    data = write_dataset(tmp_path)
    (tmp_path / 'img' / '2.jpg').write_bytes(b'garbage')
    (tmp_path / 'img' / '3.jpg').unlink()
    data['annotations'][0]['keypoints'] = [1, 2, 2]
    del data['annotations'][1]['bbox']
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    with pytest.raises(DatasetCheckError) as err:
        check_coco_keypoints(str(tmp_path / 'ann.json'), str(tmp_path / 'img'), progress=False)
    msg = str(err.value)
    assert '4 problem(s)' in msg
    assert 'image does not decode' in msg and '2.jpg' in msg
    assert 'image not found' in msg and '3.jpg' in msg
    assert 'annotation id 1: "keypoints" has 3 values, expected 3 x 17' in msg
    assert 'annotation id 2 has no "bbox"' in msg


@pytest.mark.parametrize('content,match', [
    (None, 'annotation file not found'),
    ('{not json', 'not valid JSON'),
    (json.dumps([1, 2]), 'top level is a list'),
    (json.dumps(dict(images=[], annotations=[])), r"missing key\(s\) \['categories'\]"),
    (json.dumps(dict(images=[], annotations=[], categories=[dict(id=1, name='person')])),
     'not a COCO \\*keypoints\\* file'),
])
def test_not_a_coco_keypoint_file(tmp_path, content, match):
    ann = tmp_path / 'ann.json'
    if content is not None:
        ann.write_text(content)
    with pytest.raises(DatasetCheckError, match=match):
        check_coco_keypoints(str(ann), str(tmp_path), progress=False)


def test_cli(tmp_path):
    write_dataset(tmp_path)
    cmd = [sys.executable, 'tools/check_dataset.py', '--ann-file', str(tmp_path / 'ann.json'),
           '--img-dir', str(tmp_path / 'img')]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0 and 'OK' in res.stdout and '3 images' in res.stdout
    (tmp_path / 'img' / '1.jpg').write_bytes(b'x')
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 1 and 'image does not decode' in res.stderr
