"""The MMPose-free predictor against MMPose: crop, decoding, flip, and end-to-end parity with
``inference_topdown`` on the same images, boxes and weights."""
import json
import subprocess
import sys

import numpy as np
import pytest

from eba_prnetcc_mmpose.deploy.predictor import (PosePredictor, bbox_xyxy_to_center_scale,
                                                 crop_matrix, decode_simcc, fix_aspect_ratio,
                                                 flip_simcc)
from eba_prnetcc_mmpose.deploy.runtime import cpu_bf16_support

from deploy_helpers import needs_openvino, synthetic_image
from eba_tools import DEMO_CONFIG

BOXES = {  # (image h, w): boxes x1 y1 x2 y2 - inside, tall, wide, crossing the border, tiny
    (240, 320): [[40, 30, 120, 220], [150, 60, 300, 110], [-20, 100, 60, 260]],
    (150, 200): [[10, 10, 190, 140], [90, 40, 99, 52]],
}


@pytest.mark.parametrize('bbox,padding', [([10, 20, 110, 220], 1.25), ([0, 0, 50, 30], 1.0),
                                          ([-5.5, 3.25, 40.75, 9.0], 1.25)])
def test_center_scale_matches_mmpose(bbox, padding):
    from mmpose.structures.bbox import bbox_xyxy2cs
    c, s = bbox_xyxy_to_center_scale(np.array([bbox]), padding)
    c_ref, s_ref = bbox_xyxy2cs(np.array([bbox], np.float32), padding)
    np.testing.assert_allclose(c, c_ref, rtol=1e-6)
    np.testing.assert_allclose(s, s_ref, rtol=1e-6)


@pytest.mark.parametrize('scale', [[100., 250.], [300., 80.], [96., 128.]])
@pytest.mark.parametrize('output_size', [(96, 128), (288, 384), (256, 256)])
def test_aspect_fix_and_warp_match_topdown_affine(scale, output_size):
    from mmpose.structures.bbox import get_warp_matrix
    w, h = output_size
    fixed = fix_aspect_ratio(np.array([scale], np.float32), w / h)
    assert fixed[0, 0] / fixed[0, 1] == pytest.approx(w / h, rel=1e-6)
    assert (fixed >= np.array(scale) - 1e-4).all()  # only ever enlarged
    center = np.array([61.3, 142.7], np.float32)
    ref = get_warp_matrix(center, fixed[0], 0., output_size=(w, h))
    np.testing.assert_allclose(crop_matrix(center, fixed[0], (w, h)), ref, atol=1e-4)


@pytest.mark.parametrize('ratio', [2.0, 1.5])
def test_decode_matches_simcc_label(ratio):
    from mmpose.codecs import SimCCLabel
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 5, 192)), rng.normal(size=(3, 5, 256))
    x[0, 0] -= 10  # a keypoint with a non-positive score: MMPose's -1 marker
    codec = SimCCLabel(input_size=(96, 128), simcc_split_ratio=ratio)
    ref_k, ref_s = codec.decode(x.copy(), y.copy())
    k, s = decode_simcc(x, y, ratio)
    np.testing.assert_allclose(k, ref_k)
    np.testing.assert_allclose(s, ref_s)
    assert (k[0, 0] == -1 / ratio).all()


def test_flip_matches_mmpose_flip_vectors():
    import torch
    from mmpose.models.utils.tta import flip_vectors
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(2, 5, 12)).astype(np.float32), rng.normal(size=(2, 5, 9))
    idx = [0, 2, 1, 4, 3]
    ref_x, ref_y = flip_vectors(torch.from_numpy(x), torch.from_numpy(y), idx)
    fx, fy = flip_simcc(x, y, idx)
    np.testing.assert_array_equal(fx, ref_x.numpy())
    np.testing.assert_array_equal(fy, ref_y.numpy())


def mmpose_predictions(checkpoint, flip):
    """MMPose's ``inference_topdown`` on every test image and its boxes."""
    from mmpose.apis import inference_topdown

    from eba_prnetcc_mmpose.utils.model_build import build_model
    model, _ = build_model(DEMO_CONFIG, checkpoint=checkpoint)
    model.test_cfg['flip_test'] = flip
    out = []
    for seed, ((h, w), boxes) in enumerate(BOXES.items()):
        img = synthetic_image(h, w, seed)
        samples = inference_topdown(model, img, np.array(boxes, np.float32))
        out.append((img, np.array(boxes, np.float32),
                    np.concatenate([s.pred_instances.keypoints for s in samples]),
                    np.concatenate([s.pred_instances.keypoint_scores for s in samples])))
    return out


@pytest.mark.parametrize('flip', [True, False])
@pytest.mark.parametrize('backend,precision,tol_px', [
    ('onnxruntime', 'fp32', 0.5),
    pytest.param('openvino', 'fp32', 0.5, marks=needs_openvino),
    pytest.param('openvino', 'bf16', None, marks=[
        needs_openvino, pytest.mark.skipif(not cpu_bf16_support(), reason='no bf16 CPU')]),
])
def test_end_to_end_parity_with_inference_topdown(demo_checkpoint, demo_export, flip, backend,
                                                  precision, tol_px, record_property):
    predictor = PosePredictor(demo_export['onnx'], backend, precision, flip_test=flip,
                              batch_size=2)
    diffs, score_diffs = [], []
    for img, boxes, ref_k, ref_s in mmpose_predictions(demo_checkpoint, flip):
        res = predictor(img, boxes)
        assert res.keypoints.shape == ref_k.shape and res.scores.shape == ref_s.shape
        diffs.append(np.abs(res.keypoints - ref_k).max(-1).ravel())
        score_diffs.append(np.abs(res.scores - ref_s).ravel())
    diffs, score_diffs = np.concatenate(diffs), np.concatenate(score_diffs)
    record_property('max_px', float(diffs.max()))
    record_property('mean_px', float(diffs.mean()))
    print(f'{backend} {precision} flip={flip}: max keypoint diff {diffs.max():.4f} px, mean '
          f'{diffs.mean():.4f} px, {np.mean(diffs > 0.5):.1%} over 0.5 px; max score diff '
          f'{score_diffs.max():.2e}')
    if tol_px is not None:
        assert diffs.max() <= tol_px
        assert score_diffs.max() < 1e-3
    else:  # bf16: measured and reported (docs/deploy.md); most keypoints still agree
        assert np.median(diffs) <= 0.5


def test_scores_are_raw_logits_and_can_exceed_one(demo_export):
    predictor = PosePredictor(demo_export['onnx'], flip_test=False)
    res = predictor(synthetic_image(240, 320, 0), np.array([[40, 30, 120, 220]]))
    assert res.scores.max() > 1.0  # documented: SimCC scores are not probabilities
    assert res.valid.dtype == bool and res.valid.shape == res.scores.shape


def test_whole_image_without_boxes_and_empty_boxes(demo_export):
    predictor = PosePredictor(demo_export['onnx'])
    img = synthetic_image(150, 200, 3)
    whole = predictor(img)
    np.testing.assert_allclose(whole.bboxes, [[0, 0, 200, 150]])
    none = predictor(img, np.zeros((0, 4)))
    assert none.keypoints.shape == (0, 17, 2)


def test_missing_metadata_names_the_json(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.json'):
        PosePredictor(str(tmp_path / 'nope.onnx'))


@pytest.mark.parametrize('change,match', [
    (dict(input_size=[40000, 40000]), 'input_size must be'),  # 19 GB of crops
    (dict(input_size=[0, 96]), 'input_size must be'), (dict(input_size='96x72'), 'input_size'),
    (dict(simcc_split_ratio=0), 'simcc_split_ratio'),
    (dict(simcc_split_ratio=float('nan')), 'simcc_split_ratio'),
    (dict(bbox_padding=-1), 'bbox_padding')])
def test_metadata_sizes_that_would_allocate_without_bound_are_refused(tmp_path, change, match):
    import json
    from eba_prnetcc_mmpose.deploy.predictor import load_meta
    meta = dict(decoder='SimCCLabel', input_size=[72, 96], simcc_split_ratio=2.0,
                bbox_padding=1.25)
    (tmp_path / 'm.json').write_text(json.dumps(meta))
    assert load_meta(str(tmp_path / 'm.onnx'))['input_size'] == [72, 96]
    (tmp_path / 'm.json').write_text(json.dumps(dict(meta, **change)))
    with pytest.raises(ValueError, match=match):
        load_meta(str(tmp_path / 'm.onnx'))


BLOCK = '''
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {"mmpose", "mmcv", "mmengine", "mmdet", "torch", "torchvision"}:
            raise ModuleNotFoundError(f'No module named {name!r} (blocked)', name=name)
sys.meta_path.insert(0, Block())
'''

RUN = '''
import json, numpy as np, cv2
from eba_prnetcc_mmpose.deploy.predictor import PosePredictor
res = PosePredictor(sys.argv[1])(cv2.imread(sys.argv[2]), np.array([[40, 30, 120, 220]]))
print(json.dumps(res.keypoints.tolist()))
assert not any(m.split('.')[0] in {"torch", "mmpose", "mmengine"} for m in sys.modules)
'''


def _run_blocked(code, demo_export, tmp_path):
    import cv2
    img = str(tmp_path / 'img.png')
    cv2.imwrite(img, synthetic_image(240, 320, 0))
    return subprocess.run([sys.executable, '-c', BLOCK + code, demo_export['onnx'], img],
                          capture_output=True, text=True, timeout=300, cwd=str(tmp_path)), img


def test_predictor_runs_without_mmpose_or_torch(demo_export, tmp_path):
    """Importing torch, mmpose, mmcv, mmengine or mmdet fails in the subprocess: the package
    imports (registering nothing) and the predictor gives MMPose's keypoints."""
    import cv2
    img = str(tmp_path / 'img.png')
    cv2.imwrite(img, synthetic_image(240, 320, 0))
    proc = subprocess.run([sys.executable, '-c', BLOCK + RUN, demo_export['onnx'], img],
                          capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    ref = PosePredictor(demo_export['onnx'])(cv2.imread(img), np.array([[40, 30, 120, 220]]))
    np.testing.assert_allclose(json.loads(proc.stdout), ref.keypoints, atol=1e-4)


def test_smoothed_decoding_takes_the_centre_of_a_flat_top():
    """A top of 5 equal bins with one rounded a hair higher at its edge: the plain argmax
    takes the edge (MMPose's decoding, the default), the smoothed one the centre."""
    x = np.zeros((1, 1, 40), np.float32)
    x[0, 0, 10:15] = 5.0
    x[0, 0, 10] = 5.01
    y = np.zeros((1, 1, 30), np.float32)
    y[0, 0, 7] = 3.0
    plain, s_plain = decode_simcc(x, y, 2.0)
    smooth, s_smooth = decode_simcc(x, y, 2.0, smooth_sigma=2.0)
    assert plain[0, 0, 0] == 10 / 2 and smooth[0, 0, 0] == 12 / 2
    assert smooth[0, 0, 1] == plain[0, 0, 1] == 7 / 2
    np.testing.assert_array_equal(s_plain, s_smooth)  # scores stay the raw maxima
