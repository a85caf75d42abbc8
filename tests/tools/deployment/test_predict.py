"""tools/deployment/predict.py: images, folders and videos in, predictions.json and drawn output
out; bad arguments in one line; the box layouts and order tools/infer.py reads; the default
keypoint threshold from the model's score scale."""
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
    boxes.write_text(json.dumps({'0.png': [[10, 10, 100, 140], [100, 20, 190, 140]],
                                 'clip.avi:1': [[10, 10, 100, 140]]}))
    backend = 'openvino' if has_openvino() else 'onnxruntime'
    code, _, err = run_script(SCRIPT, [demo_export['onnx'], str(folder), video, '--bboxes',
                                       str(boxes), '--backend', backend, '--threads', '1',
                                       '--out-dir', str(tmp_path / 'out')])
    assert code == 0, err
    pred = json.loads((tmp_path / 'out' / 'predictions.json').read_text())
    assert set(pred['predictions']) == {'0.png', '1.png', 'clip.avi:0', 'clip.avi:1',
                                        'clip.avi:2'}
    # a box file given: what it lists, nothing else (as tools/infer.py)
    assert [len(pred['predictions'][k]) for k in ('0.png', '1.png', 'clip.avi:0',
                                                  'clip.avi:1')] == [2, 0, 0, 1]
    person = pred['predictions']['0.png'][0]
    assert np.array(person['keypoints']).shape == (17, 2) and len(person['keypoint_scores']) == 17
    assert (tmp_path / 'out' / '0.png').is_file() and (tmp_path / 'out' / 'clip.mp4').is_file()


def _run_no_draw(run_script, model, image, out, *extra):
    code, out_text, err = run_script(SCRIPT, [model, str(image), '--threads', '1', '--no-draw',
                                              '--out-dir', str(out), *extra])
    assert code == 0, err
    return json.loads((out / 'predictions.json').read_text())['predictions'], out_text


def test_every_box_layout_gives_the_same_boxes_in_the_same_order(run_script, tmp_path,
                                                                 demo_export):
    """Per-file corners, COCO detection results and a COCO file: the same people, highest
    score first, equal scores in file order, boxes at or under --bbox-thr left out."""
    image = tmp_path / '000000000139.png'
    cv2.imwrite(str(image), synthetic_image(150, 200, 0))
    xywh = [([10, 10, 90, 130], 0.6), ([100, 20, 90, 120], 0.9), ([50, 5, 60, 60], 0.6),
            ([0, 0, 20, 20], 0.2)]
    layouts = {
        'per_file': {image.name: [[x, y, x + w, y + h, s] for (x, y, w, h), s in xywh]},
        'coco_results': [dict(image_id=139, category_id=1, bbox=b, score=s) for b, s in xywh],
        'coco_file': dict(images=[dict(id=5, file_name=f'sub/{image.name}')],
                          annotations=[dict(image_id=5, bbox=b, score=s) for b, s in xywh]),
    }
    expected = [[100, 20, 190, 140], [10, 10, 100, 140], [50, 5, 110, 65]]
    for name, data in layouts.items():
        path = tmp_path / f'{name}.json'
        path.write_text(json.dumps(data))
        pred, _ = _run_no_draw(run_script, demo_export['onnx'], image, tmp_path / name,
                               '--bboxes', str(path))
        assert [p['bbox'] for p in pred[image.name]] == expected, name


def test_default_kpt_thr_from_the_score_scale_in_the_metadata(run_script, tmp_path,
                                                             demo_export):
    """No score_scale in the metadata: MMPose's 0.3; a recorded scale of 0.115 (label_softmax
    on normalised targets): 0.035, and the line gives the scores' range."""
    import shutil
    image = tmp_path / 'a.png'
    cv2.imwrite(str(image), synthetic_image(150, 200, 0))
    _, said = _run_no_draw(run_script, demo_export['onnx'], image, tmp_path / 'o1')
    assert '--kpt-thr 0.3 (score scale not in the model metadata' in said
    model = tmp_path / 'scaled.onnx'
    shutil.copy(demo_export['onnx'], model)
    meta = json.loads(open(demo_export['meta']).read())
    (tmp_path / 'scaled.json').write_text(json.dumps(dict(meta, score_scale=0.115)))
    _, said = _run_no_draw(run_script, str(model), image, tmp_path / 'o2', '--kpt-thr', '1e9')
    assert 'scores range' in said and 'score scale' not in said.splitlines()[0]
    _, said = _run_no_draw(run_script, str(model), image, tmp_path / 'o3')
    assert '--kpt-thr 0.035 (score scale 0.12 from the model metadata)' in said


def test_int8_on_a_cpu_without_vnni_is_one_line(run_script, error_lines, tmp_path, demo_export,
                                                monkeypatch):
    from eba_prnetcc_mmpose.deploy import runtime
    monkeypatch.setattr(runtime, 'cpu_flags', lambda: ['avx2', 'avx512f'])
    img = tmp_path / 'a.png'
    cv2.imwrite(str(img), synthetic_image(150, 200, 0))
    code, _, err = run_script(SCRIPT, [demo_export['onnx'], str(img), '--precision', 'int8',
                                       '--out-dir', str(tmp_path / 'out')])
    assert code == 2 and 'Traceback' not in err
    assert len(error_lines(err)) == 1 and 'VNNI' in error_lines(err)[0]
