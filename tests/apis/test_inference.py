"""tools/demo.py and the inference API on images, a folder and a video the test creates."""
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from eba_prnetcc_mmpose.apis.inference import BoxSource, PoseDemo, collect_inputs, load_pose_model

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CFG = osp.join(ROOT, 'configs', 'demo', 'simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py')


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


@pytest.fixture(scope='module')
def model():
    with pytest.warns(UserWarning, match='RANDOM weights'):
        return load_pose_model(DEMO_CFG, None)


def test_folder_with_box_file_and_bad_inputs(model, inputs, tmp_path):
    demo = PoseDemo(model, BoxSource(box_file=str(inputs / 'boxes.json')), str(tmp_path))
    summary = demo.run([str(inputs)], progress=False)
    done = {osp.basename(r['input']): r for r in summary['results']}
    failed = {osp.basename(f['input']): f['error'] for f in summary['failed']}
    assert set(done) == {'img0.jpg', 'img1.jpg', 'clip.avi'}
    assert 'cannot decode image' in failed['broken.jpg']
    assert 'cannot open video' in failed['broken.mp4'] or 'frame' in failed['broken.mp4']
    inst = done['img0.jpg']['instances']
    assert len(inst) == 2 and np.array(inst[0]['keypoints']).shape == (17, 2)
    assert done['img1.jpg']['instances'] == []  # not in the box file: no person
    assert len(done['clip.avi']['frames']) == 3
    assert cv2.imread(done['img0.jpg']['output']).shape == (120, 90, 3)
    cap = cv2.VideoCapture(done['clip.avi']['output'])
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    saved = json.loads((tmp_path / 'keypoints.json').read_text())
    assert saved['boxes'] == 'box file' and len(saved['failed']) == 2


def test_whole_image_box_and_drawing_changes_pixels(model, inputs, tmp_path):
    demo = PoseDemo(model, BoxSource(), str(tmp_path), kpt_thr=0.0)
    res = demo.run_image(str(inputs / 'img1.jpg'))
    assert res['instances'][0]['bbox'] == [0.0, 0.0, 90.0, 120.0]
    drawn = cv2.imread(res['output']).astype(int)
    original = cv2.imread(str(inputs / 'img1.jpg')).astype(int)
    assert np.abs(drawn - original).sum() > 0  # the visualizer drew something


def test_collect_inputs_sorts_folders(inputs):
    names = [osp.basename(p) for p in collect_inputs([str(inputs)])]
    assert names == sorted(names) and 'boxes.json' not in names


def test_cli_errors_and_run(inputs, tmp_path):
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'demo.py'), DEMO_CFG]
    res = subprocess.run(cmd + [str(tmp_path / 'missing.pth'), '--inputs', str(inputs)],
                         capture_output=True, text=True)
    assert res.returncode != 0 and 'pose checkpoint not found' in res.stderr
    res = subprocess.run(cmd + ['--inputs', str(inputs / 'img0.jpg'), str(inputs / 'nope.jpg'),
                                '--out-dir', str(tmp_path / 'o')], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert 'processed 1 input(s), skipped 1' in res.stdout and 'input not found' in res.stdout


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
    with pytest.raises(FileNotFoundError, match='detector checkpoint not found'):
        BoxSource(det_config=det_cfg, det_checkpoint=str(tmp_path / 'missing.pth'))
    source = BoxSource(det_config=det_cfg, det_checkpoint=str(ckpt), det_score_thr=0.0)
    assert source.kind == 'detector'
    boxes = source(cv2.imread(str(inputs / 'img0.jpg')), 'img0.jpg')
    assert boxes.ndim == 2 and boxes.shape[1] == 5  # random weights: often no person at all
    init_default_scope('mmpose')
