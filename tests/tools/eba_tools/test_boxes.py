"""One box reader for tools/infer.py and tools/deployment/predict.py: three layouts, one order
(highest score first, equal scores in file order), one-line errors naming the file and box."""
import json

import numpy as np
import pytest

from eba_tools.boxes import boxes_for, read_boxes, select_boxes


def write(tmp_path, data, name='boxes.json'):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_three_layouts_give_the_same_boxes(tmp_path):
    xywh = [([1, 2, 10, 20], 0.7), ([5, 5, 5, 5], 0.2)]
    corners = [[1, 2, 11, 22, 0.7], [5, 5, 10, 10, 0.2]]
    per_file = read_boxes(write(tmp_path, {'000000000139.jpg': corners}, 'a.json'))
    results = read_boxes(write(tmp_path, [dict(image_id=139, category_id=1, bbox=b, score=s)
                                          for b, s in xywh], 'b.json'))
    coco = read_boxes(write(tmp_path, dict(
        images=[dict(id=3, file_name='val/000000000139.jpg')],
        annotations=[dict(image_id=3, bbox=b, score=s) for b, s in xywh]), 'c.json'))
    for boxes in (per_file, results, coco):
        np.testing.assert_allclose(boxes_for(boxes, '/x/000000000139.jpg'), corners)
        assert boxes_for(boxes, '000000000008.jpg') is None


def test_per_file_boxes_default_score_and_video_frames(tmp_path):
    boxes = read_boxes(write(tmp_path, {'a.jpg': [[0, 0, 4, 4]], 'clip.mp4:3': [[1, 1, 2, 2]]}))
    np.testing.assert_allclose(boxes['a.jpg'], [[0, 0, 4, 4, 1.0]])
    assert boxes_for(boxes, 'clip.mp4', 3) is not None and boxes_for(boxes, 'clip.mp4', 2) is None


def test_one_order_highest_score_first_ties_in_file_order():
    boxes = np.array([[0, 0, 1, 1, .5], [1, 1, 2, 2, .9], [2, 2, 3, 3, .5], [3, 3, 4, 4, .3],
                      [4, 4, 5, 5, .5]], np.float32)
    kept = select_boxes(boxes, 0.3)  # strictly above, as MMPose filters detections
    assert kept[:, 0].tolist() == [1, 0, 2, 4]
    assert select_boxes(None, 0.3).shape == (0, 5)


@pytest.mark.parametrize('data,facts', [
    ({'a.jpg': [[10, 10, 5, 30]]}, ["'a.jpg'", 'x2 <= x1', '[x, y, w, h]']),
    ({'a.jpg': [[1, 2, 3]]}, ["'a.jpg'", '[x1, y1, x2, y2]']),
    ([1, 2], ['not a box file', 'COCO detection results']),
    ([dict(image_id=1, bbox='x')], ['[x, y, w, h]']),
])
def test_errors_name_the_file_and_the_box(tmp_path, data, facts):
    path = write(tmp_path, data)
    with pytest.raises(ValueError) as err:
        read_boxes(path)
    assert path in str(err.value) and all(f in str(err.value) for f in facts), str(err.value)
    with pytest.raises(FileNotFoundError, match='nope.json'):
        read_boxes(str(tmp_path / 'nope.json'))
