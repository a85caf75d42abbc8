"""tools/deployment/predict.py: images, folders and videos in, predictions.json and drawn output
out; bad arguments in one line."""
import json

import cv2
import numpy as np
import pytest

from deploy_helpers import has_openvino, synthetic_image

SCRIPT = 'deployment/predict.py'


def test_help_documents_every_argument(check_help):
    check_help(SCRIPT)


@pytest.mark.parametrize('args,key_fact', [
    (['nope.onnx', 'x.jpg'], 'x.jpg'),
    (['m.onnx', 'x.jpg', '--backend', 'tf'], '--backend'),
])
def test_bad_arguments_are_one_line(run_script, error_lines, tmp_path, monkeypatch, args,
                                    key_fact):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_script(SCRIPT, args)
    assert code == 2 and 'Traceback' not in err
    assert len(error_lines(err)) == 1 and key_fact in error_lines(err)[0]


def test_images_folder_and_video(run_script, tmp_path, demo_export):
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for i in range(2):
        cv2.imwrite(str(folder / f'{i}.png'), synthetic_image(150, 200, i))
    (folder / 'notes.txt').write_text('not an input')  # folders: images and videos only
    video = str(tmp_path / 'clip.avi')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 5, (200, 150))
    for i in range(3):
        writer.write(synthetic_image(150, 200, i))
    writer.release()
    boxes = tmp_path / 'boxes.json'
    boxes.write_text(json.dumps({'0.png': [[10, 10, 100, 140], [100, 20, 190, 140]]}))
    backend = 'openvino' if has_openvino() else 'onnxruntime'
    code, _, err = run_script(SCRIPT, [demo_export['onnx'], str(folder), video, '--bboxes',
                                       str(boxes), '--backend', backend, '--threads', '1',
                                       '--out-dir', str(tmp_path / 'out')])
    assert code == 0, err
    pred = json.loads((tmp_path / 'out' / 'predictions.json').read_text())
    assert set(pred['predictions']) == {'0.png', '1.png', 'clip.avi:0', 'clip.avi:1',
                                        'clip.avi:2'}
    assert len(pred['predictions']['0.png']) == 2 and len(pred['predictions']['1.png']) == 1
    person = pred['predictions']['0.png'][0]
    assert np.array(person['keypoints']).shape == (17, 2) and len(person['keypoint_scores']) == 17
    assert (tmp_path / 'out' / '0.png').is_file() and (tmp_path / 'out' / 'clip.mp4').is_file()
