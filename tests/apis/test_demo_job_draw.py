"""The main job's drawing step goes through MMPoseInferencer (PoseDemo) with the test set's
detected boxes: one drawn image per requested test image, boxes from the detection file."""
import json
import os.path as osp
from types import SimpleNamespace

import cv2
import pytest
from mmengine.config import Config
from mmpose.registry import DATASETS

from eba_prnetcc_mmpose.apis import set_data_root
from eba_prnetcc_mmpose.apis.demo_job import draw_predictions
from eba_prnetcc_mmpose.datasets import generate_synthetic_coco

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'configs', 'demo', 'simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py')


def test_draw_predictions_uses_the_detected_boxes(tmp_path):
    data = tmp_path / 'data'
    generate_synthetic_coco(str(data), num_train=2, num_val=3, image_size=(96, 96),
                            progress=False)
    cfg = Config.fromfile(DEMO)
    set_data_root(cfg, str(data))
    runner = SimpleNamespace(cfg=cfg, test_dataloader=SimpleNamespace(
        dataset=DATASETS.build(cfg.test_dataloader.dataset)))
    with pytest.warns(UserWarning, match='RANDOM weights'):
        drawn = draw_predictions(runner, str(tmp_path / 'vis'), num=2)
    assert len(drawn) == 2 and all(cv2.imread(p).shape == (96, 96, 3) for p in drawn)
    summary_boxes = json.loads(open(osp.join(
        tmp_path, 'vis', 'predictions', osp.splitext(osp.basename(drawn[0]))[0] + '.json')).read())
    detections = json.loads(open(cfg.test_dataloader.dataset.bbox_file).read())
    image_ids = {img['file_name']: img['id'] for img in json.loads(open(
        cfg.test_evaluator.ann_file).read())['images']}
    expected = [d for d in detections if d['image_id'] == image_ids[osp.basename(drawn[0])]]
    assert len(summary_boxes) == len(expected) >= 1  # one pose per detected box
