"""The inference layer over MMPoseInferencer (PoseInference), on images, a folder and a video
the test creates: boxes from a file (any layout of eba_tools.boxes, in its order, video frames
included), a detector or the whole image; bad inputs skipped; the default keypoint threshold
from the model's score scale and what the line says when nothing is drawn."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from eba_tools import DEMO_CONFIG
from eba_tools.inference import PoseInference


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp('inputs')
    rng = np.random.default_rng(0)
    for i in range(2):
        cv2.imwrite(str(d / f'img{i}.jpg'), rng.integers(0, 255, (120, 90, 3), dtype=np.uint8))
    (d / 'broken.jpg').write_bytes(b'not an image at all')
    writer = cv2.VideoWriter(str(d / 'clip.avi'), cv2.VideoWriter_fourcc(*'MJPG'), 5, (90, 120))
    for _ in range(3):
        writer.write(rng.integers(0, 255, (120, 90, 3), dtype=np.uint8))
    writer.release()
    (d / 'broken.mp4').write_bytes(b'\x00' * 100)
    boxes = dict(images=[dict(id=1, file_name='img0.jpg')],
                 annotations=[dict(image_id=1, bbox=[10, 10, 40, 80], score=0.9),
                              dict(image_id=1, bbox=[40, 20, 40, 90], score=0.8)])
    (d / 'boxes.json').write_text(json.dumps(boxes))
    return d


def inference(out_dir, config=DEMO_CONFIG, **kwargs):
    with pytest.warns(UserWarning, match='RANDOM weights'):
        return PoseInference(config, None, str(out_dir), **kwargs)


def test_folder_with_box_file_and_bad_inputs(inputs, tmp_path):
    runner = inference(tmp_path, box_file=str(inputs / 'boxes.json'))
    assert runner.kind == 'box file'
    summary = runner.run([str(inputs)], progress=False)
    done = {osp.basename(r['input']): r for r in summary['results']}
    failed = {osp.basename(f['input']): f['error'] for f in summary['failed']}
    assert set(done) == {'img0.jpg', 'img1.jpg', 'clip.avi'}
    assert set(failed) == {'broken.jpg', 'broken.mp4'}
    inst = done['img0.jpg']['instances']
    assert len(inst) == 2 and np.array(inst[0]['keypoints']).shape == (17, 2)
    np.testing.assert_allclose(np.array(inst[0]['bbox']).ravel(), [10, 10, 50, 90])
    assert done['img1.jpg']['instances'] == [] and 'img1.jpg' in done['img1.jpg']['note']
    frames = done['clip.avi']['frames']  # the box file lists no frame of it: no people
    assert len(frames) == 3 and all(f['instances'] == [] for f in frames)
    assert cv2.imread(done['img0.jpg']['output']).shape == (120, 90, 3)   # drawn by MMPose
    assert json.loads(open(done['img0.jpg']['predictions']).read())       # MMPose's JSON
    cap = cv2.VideoCapture(done['clip.avi']['output'])
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    saved = json.loads((tmp_path / 'keypoints.json').read_text())
    assert saved['boxes'] == 'box file' and len(saved['failed']) == 2


def test_box_file_scores_are_filtered_like_detections(inputs, tmp_path):
    runner = inference(tmp_path, box_file=str(inputs / 'boxes.json'), bbox_thr=0.85)
    record = runner.run_one(str(inputs / 'img0.jpg'))
    assert len(record['instances']) == 1 and record['instances'][0]['bbox_score'] == \
        pytest.approx(0.9)


def test_whole_image_box_and_drawing_changes_pixels(inputs, tmp_path):
    runner = inference(tmp_path, kpt_thr=0.0)
    assert runner.kind == 'whole image' and runner.inferencer.inferencer.detector is None
    res = runner.run_one(str(inputs / 'img1.jpg'))
    np.testing.assert_allclose(np.array(res['instances'][0]['bbox']).ravel(), [0, 0, 90, 120])
    drawn = cv2.imread(res['output']).astype(int)
    original = cv2.imread(str(inputs / 'img1.jpg')).astype(int)
    assert np.abs(drawn - original).sum() > 0  # the visualizer drew something


def test_says_when_every_keypoint_is_below_kpt_thr(inputs, tmp_path, captured_log):
    runner = inference(tmp_path, kpt_thr=1e6)
    summary = runner.run([str(inputs / 'img0.jpg')], progress=False)
    assert summary['below_kpt_thr'] == [str(inputs / 'img0.jpg')]
    said = [r.getMessage() for r in captured_log if 'kpt-thr' in r.getMessage()]
    assert len(said) == 1 and said[0].startswith('img0.jpg')
    # what the scores are and the model's scale, not a guess about training
    assert 'they range' in said[0] and 'scale' in said[0] and 'train' not in said[0]
    assert 'Pass --kpt-thr' in said[0]  # the setting to change


def test_box_order_and_video_frames_as_the_predictor_reads_them(inputs, tmp_path):
    """Per-file corners (the predictor's --bboxes form): equal scores keep file order, a higher
    score comes first, video frames by NAME:FRAME; frames without boxes have no people."""
    boxes = {'img0.jpg': [[40, 20, 80, 110], [10, 10, 50, 90], [5, 5, 30, 30, 0.95]],
             'clip.avi:1': [[10, 10, 60, 100, 0.9]]}
    path = tmp_path / 'boxes.json'
    path.write_text(json.dumps(boxes))
    runner = inference(tmp_path / 'out', box_file=str(path))
    inst = runner.run_one(str(inputs / 'img0.jpg'))['instances']
    got = [np.array(i['bbox']).ravel().tolist() for i in inst]
    assert got == [[40, 20, 80, 110], [10, 10, 50, 90], [5, 5, 30, 30]]
    frames = runner.run_one(str(inputs / 'clip.avi'))['frames']
    assert [len(f['instances']) for f in frames] == [0, 1, 0]
    np.testing.assert_allclose(np.array(frames[1]['instances'][0]['bbox']).ravel(),
                               [10, 10, 60, 100])


def test_coco_detection_results_by_image_id(inputs, tmp_path):
    """MMPose's bbox_file format, matched by COCO id; listed boxes all under bbox_thr: no
    people (not the whole image)."""
    import shutil
    shutil.copy(inputs / 'img0.jpg', tmp_path / '000000000139.jpg')
    path = tmp_path / 'dets.json'
    path.write_text(json.dumps([
        dict(image_id=139, category_id=1, bbox=[1, 2, 30, 60], score=0.5),
        dict(image_id=139, category_id=1, bbox=[5, 5, 40, 40], score=0.7),
        dict(image_id=7, category_id=1, bbox=[0, 0, 4, 4], score=0.9)]))
    runner = inference(tmp_path / 'out', box_file=str(path))
    inst = runner.run_one(str(tmp_path / '000000000139.jpg'))['instances']
    assert [i['bbox_score'] for i in inst] == pytest.approx([0.7, 0.5])
    runner = inference(tmp_path / 'out2', box_file=str(path), bbox_thr=0.8)
    record = runner.run_one(str(tmp_path / '000000000139.jpg'))
    assert record['instances'] == [] and 'bbox_thr 0.8' in record['note']


def test_default_kpt_thr_follows_the_score_scale(tmp_path):
    """The demo pairs label_softmax with un-normalised targets (scale 1): MMPose's 0.3; the
    normalised pairing (scale ~0.1) gets 0.3 of it."""
    from mmengine.config import Config
    assert inference(tmp_path).kpt_thr == pytest.approx(0.3)
    cfg = Config.fromfile(DEMO_CONFIG)
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'GenerateTarget':
            step.encoder.normalize = True
    runner = inference(tmp_path, config=cfg)
    assert runner.kpt_thr == pytest.approx(0.3 / (3 * np.sqrt(2 * np.pi)), rel=0.02)
    assert 'normalised Gaussians' in runner.score_how


def test_boxes_from_an_mmdetection_detector(inputs, tmp_path):
    """The detector path: an MMDetection config and a checkpoint this test writes."""
    import mmdet
    import torch
    from mmdet.registry import MODELS as DET_MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    det_cfg = osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', 'rtmdet',
                       'rtmdet_tiny_8xb32-300e_coco.py')
    cfg = Config.fromfile(det_cfg)
    cfg.model.backbone.init_cfg = None
    init_default_scope('mmdet')
    ckpt = tmp_path / 'rtmdet_random.pth'
    torch.save({'state_dict': DET_MODELS.build(cfg.model).state_dict()}, ckpt)
    init_default_scope('mmpose')
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        inference(tmp_path, det_config=det_cfg, det_checkpoint=str(tmp_path / 'missing.pth'))
    runner = inference(tmp_path, det_config=det_cfg, det_checkpoint=str(ckpt), bbox_thr=0.0)
    assert runner.kind == 'detector' and runner.inferencer.inferencer.detector is not None
    record = runner.run_one(str(inputs / 'img0.jpg'))
    assert len(record['instances']) >= 1  # random weights: detections, or the whole image
