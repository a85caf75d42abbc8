"""COCO keypoint files, their images and box files: every problem named with its file or key;
the datasets of a config."""
import json
import os.path as osp

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


# ---- untrusted files: never run code, never read outside the image folder, one line each ----

def yaml_payload(marker) -> str:
    """YAML that creates ``marker`` when read with PyYAML's unsafe loader (mmengine's)."""
    return f'!!python/object/apply:builtins.open ["{marker}", "w"]\n'


def pickle_payload(marker) -> bytes:
    import pickle

    class Payload:
        def __reduce__(self):
            return open, (str(marker), 'w')
    return pickle.dumps(Payload())


def test_the_payloads_are_live(tmp_path):
    """Control: mmengine.fileio.load (what MMPose reads a bbox_file with) runs both payloads,
    so the tests below that find no marker show that nothing ran."""
    from mmengine.fileio import load
    for name, write in (('d.yaml', lambda p, m: p.write_text(yaml_payload(m))),
                        ('d.pkl', lambda p, m: p.write_bytes(pickle_payload(m)))):
        marker = tmp_path / f'ran_{name}'
        write(tmp_path / name, marker)
        load(str(tmp_path / name))
        assert marker.exists()


@pytest.mark.parametrize('name,payload,facts', [  # the box file: name, content, the one line
    ('dets.yaml', 'yaml', ('bbox_file=', 'dets.yaml', 'not a .json file', 'PyYAML',
                           'convert it to COCO-format JSON')),
    ('dets.yml', 'yaml', ('dets.yml', 'not a .json file', 'PyYAML', 'COCO-format JSON')),
    ('dets.pkl', 'pickle', ('dets.pkl', 'not a .json file', 'pickle', 'COCO-format JSON')),
    ('dets.pickle', 'pickle', ('dets.pickle', 'not a .json file', 'pickle', 'COCO-format JSON')),
    ('dets.JSON', '[]', ('dets.JSON', 'not a .json file', 'COCO-format JSON')),
    ('dets.txt', '[]', ('dets.txt', 'not a .json file', 'COCO-format JSON')),
    ('dets.json', 'yaml', ('dets.json is not valid JSON', 'line 1')),
    ('dets.json', '{not json', ('dets.json is not valid JSON',)),
    ('dets.json', '[' * 100000 + ']' * 100000, ('dets.json', 'too deeply')),
    ('dets.json', '{"image_id": 1}', ('expected a JSON list of detections',)),
    ('dets.json', '[1]', ('detection 0 is an int', 'image_id, bbox and score')),
    ('dets.json', '[{"image_id": [1], "bbox": [1, 1, 2, 2], "score": 1}]',
     ('detection 0', '"image_id" is a list')),
    ('dets.json', '[{"image_id": 1, "bbox": "1,1,2,2", "score": 1}]',
     ('detection 0', '"bbox" must be 4 numbers')),
    ('dets.json', '[{"image_id": 1, "bbox": [1, 1, 2, 2], "score": "high"}]',
     ('detection 0', '"score" must be a number')),
])
def test_bad_box_files_are_one_line_and_never_run(tmp_path, name, payload, facts):
    write_dataset(tmp_path)
    marker = tmp_path / 'payload_ran'
    box = tmp_path / name
    if payload == 'yaml':
        box.write_text(yaml_payload(marker))
    elif payload == 'pickle':
        box.write_bytes(pickle_payload(marker))
    else:
        box.write_text(payload)
    with pytest.raises(DatasetCheckError) as err:
        check_coco_keypoints(str(tmp_path / 'ann.json'), str(tmp_path / 'img'), str(box),
                             progress=False)
    problems = str(err.value).split('\n  ')[1:]
    assert len(problems) == 1 and all(f in problems[0] for f in facts), problems
    assert not marker.exists()


def _set(data, path, value):
    """``data[path[0]][path[1]]... = value``; ``value`` DELETE removes the key."""
    for key in path[:-1]:
        data = data[key]
    if value is DELETE:
        del data[path[-1]]
    else:
        data[path[-1]] = value


DELETE = object()


@pytest.mark.parametrize('path,value,facts', [  # a change to a valid file: what the line says
    (['categories'], [1], ('categories[0] is an int', 'expected an object')),
    (['categories'], {'id': 1}, ('"categories" is a dict', 'expected a list')),
    (['images'], 'x', ('"images" is a str', 'expected a list')),
    (['categories', 0, 'keypoints'], 'abc', ('"keypoints" of category 1', 'keypoint names')),
    (['categories', 0, 'keypoints'], [1, 2], ('"keypoints" of category 1', 'keypoint names')),
    (['images', 0, 'id'], DELETE, ('images[0] has no "id"',)),
    (['images', 0, 'id'], [1], ('images[0]: "id" is a list', 'integer')),
    (['images', 1, 'id'], 1, ('images[1]: id 1 repeats images[0]', 'unique')),
    (['images', 0], 5, ('images[0] is an int', 'expected an object')),
    (['images', 0, 'file_name'], DELETE, ('images[0] has no "file_name"',)),
    (['images', 0, 'file_name'], 7, ('images[0]: "file_name" must be a non-empty path',)),
    (['images', 0, 'file_name'], 'a\x00b.jpg', ('images[0]: "file_name" must be',)),
    (['annotations', 0], 'x', ('annotations[0] is a str', 'expected an object')),
    (['annotations', 0, 'keypoints'], ['a'] * 3 * K, ('annotation id 1', 'list of numbers')),
    (['annotations', 0, 'keypoints'], 5, ('annotation id 1', 'list of numbers')),
    (['annotations', 0, 'bbox'], [1, 2], ('annotation id 1', '"bbox" must be 4 numbers')),
    (['annotations', 0, 'image_id'], {'a': 1}, ('annotation id 1', '"image_id" is a dict')),
])
def test_wrong_structure_is_named_not_a_traceback(tmp_path, path, value, facts):
    data = write_dataset(tmp_path)
    _set(data, path, value)
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    with pytest.raises(DatasetCheckError) as err:
        check_coco_keypoints(str(tmp_path / 'ann.json'), str(tmp_path / 'img'), progress=False)
    text = str(err.value)
    assert any(all(f in line for f in facts) for line in text.splitlines()), text


@pytest.mark.parametrize('name,content,facts', [
    ('ann.json', '[' * 100000 + ']' * 100000, ('ann.json', 'too deeply')),
    ('ann.json', '{"images": ' * 100000 + '1' + '}' * 100000, ('ann.json', 'too deeply')),
    ('ann.json', b'\xff\xfe{}', ('ann.json is not valid JSON',)),
    ('ann.yaml', 'images: []', ('ann_file=', 'ann.yaml', 'not a .json file',
                                'COCO-format JSON')),
    ('ann.pkl', b'', ('ann.pkl', 'not a .json file', 'pickle')),
])
def test_unreadable_annotation_files_are_one_line(tmp_path, name, content, facts):
    ann = tmp_path / name
    ann.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DatasetCheckError) as err:
        check_coco_keypoints(str(ann), str(tmp_path), progress=False)
    assert len(str(err.value).splitlines()) == 1 and all(f in str(err.value) for f in facts)


@pytest.fixture
def imread_calls(monkeypatch):
    """The paths ``cv2.imread`` is asked for during the test."""
    calls = []
    real = cv2.imread

    def spy(path, *args):
        calls.append(path)
        return real(path, *args)
    monkeypatch.setattr(cv2, 'imread', spy)
    return calls


def _outside_link(tmp_path, target):
    link = tmp_path / 'img' / 'link.jpg'
    link.symlink_to(target)
    return 'link.jpg'


@pytest.mark.parametrize('file_name,facts', [  # never read, exists or not: the same message
    ('/etc/passwd', ('/etc/passwd', 'absolute path', 'refused, not read')),
    ('/no/such/file.jpg', ('/no/such/file.jpg', 'absolute path', 'refused, not read')),
    ('OUTSIDE', ('outside.jpg', 'absolute path', 'refused, not read')),
    ('../outside.jpg', ('../outside.jpg', 'leads outside the image folder', 'refused, not read')),
    ('../missing.jpg', ('../missing.jpg', 'leads outside the image folder', 'refused, not read')),
    ('sub/../../outside.jpg', ('leads outside the image folder', 'refused, not read')),
    ('LINK', ('link.jpg', 'leads outside the image folder', 'symlink', 'refused, not read')),
])
def test_images_outside_the_image_folder_are_refused_unread(tmp_path, imread_calls, file_name,
                                                             facts):
    data = write_dataset(tmp_path)
    outside = tmp_path / 'outside.jpg'
    cv2.imwrite(str(outside), np.full((32, 32, 3), 80, np.uint8))  # a valid image, outside
    if file_name == 'OUTSIDE':
        file_name = str(outside)
    elif file_name == 'LINK':
        file_name = _outside_link(tmp_path, outside)
    data['images'][0]['file_name'] = file_name
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    with pytest.raises(DatasetCheckError) as err:
        check_coco_keypoints(str(tmp_path / 'ann.json'), str(tmp_path / 'img'), progress=False)
    problems = str(err.value).split('\n  ')[1:]
    assert len(problems) == 1 and all(f in problems[0] for f in facts), problems
    assert 'not found' not in problems[0] and 'decode' not in problems[0]
    inside = osp.realpath(tmp_path / 'img') + osp.sep
    assert len(imread_calls) == 2  # the two other images, nothing else
    assert all(osp.realpath(p).startswith(inside) and 'link' not in p for p in imread_calls)


def test_paths_that_stay_inside_the_image_folder_pass(tmp_path):
    data = write_dataset(tmp_path)
    (tmp_path / 'img' / 'sub').mkdir()
    cv2.imwrite(str(tmp_path / 'img' / 'sub' / 'a.jpg'), np.full((8, 8, 3), 80, np.uint8))
    (tmp_path / 'img' / 'same.jpg').symlink_to(tmp_path / 'img' / '3.jpg')
    data['images'][0]['file_name'] = 'sub/a.jpg'
    data['images'][1]['file_name'] = 'sub/../2.jpg'
    data['images'][2]['file_name'] = 'same.jpg'  # a symlink to a file inside
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    report = check_coco_keypoints(str(tmp_path / 'ann.json'), str(tmp_path / 'img'),
                                  progress=False)
    assert report['images'] == 3
