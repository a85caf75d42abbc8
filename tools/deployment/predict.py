"""Predict poses with an exported model: images, folders or videos -> JSON and drawn output.

    python tools/deployment/predict.py work_dirs/deploy/model.onnx demo.jpg photos/ clip.mp4 \
        --backend openvino --precision bf16 --out-dir work_dirs/predict
    python tools/deployment/predict.py work_dirs/deploy/model.onnx photos/ --precision int8

Runs with numpy, OpenCV and the runtime only (no torch, no MMPose at run time: see
docs/deploy.md). Person boxes come from ``--bboxes``, read as ``tools/infer.py --box-file``
reads them (``eba_tools.boxes``): per-file corners ``{"img.jpg": [[x1, y1, x2, y2], ...],
"clip.mp4:FRAME": ...}``, COCO detection results ``[{"image_id", "bbox": [x, y, w, h],
"score"}]`` (matched by COCO id) or a COCO file; boxes scoring above ``--bbox-thr``, highest score
first, equal scores in file order; an input or frame the file gives no box has no people.
Without ``--bboxes`` each frame is one person box. Writes ``predictions.json`` (keypoints in
image pixels and their SimCC scores: raw logits, not probabilities) and, unless ``--no-draw``,
drawn images / videos in ``--out-dir``. ``--kpt-thr`` defaults to 0.3 x the model's score scale
(at most 0.3; ``score_scale`` in the model's metadata JSON), as ``tools/infer.py``.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, Iterator, List, Optional, Tuple

import cv2
import numpy as np

sys.path.append(osp.dirname(osp.dirname(osp.abspath(__file__))))  # tools/, for eba_tools
from eba_tools.boxes import boxes_for, read_boxes, select_boxes  # noqa: E402  (numpy only)
from eba_tools.cli import run_tool  # noqa: E402  (standard library only)
from eba_tools.media import IMAGE_EXTS, VIDEO_EXTS, expand_inputs, media_kind  # noqa: E402


def progress(total: Optional[int], desc: str):
    """tqdm if installed, else a no-op bar."""
    try:
        from tqdm import tqdm
        return tqdm(total=total, desc=desc, unit='frame', file=sys.stderr)
    except ImportError:  # pragma: no cover
        class _Bar:
            def update(self, n=1): pass
            def close(self): pass
        return _Bar()


def inputs_with_kind(paths: List[str]) -> List[Tuple[str, str]]:
    """``(kind, path)`` for every image/video given directly or inside a given folder; a
    missing file or one of another type is an error."""
    found = []
    for path in expand_inputs(paths):
        if not osp.isfile(path):
            raise FileNotFoundError(f'input not found: {path}')
        kind = media_kind(path)
        if kind is None:
            raise ValueError(f'{path}: not an image ({", ".join(IMAGE_EXTS)}) or video '
                             f'({", ".join(VIDEO_EXTS)})')
        found.append((kind, path))
    if not found:
        raise ValueError('no images or videos found in the inputs')
    return found


def frames(kind: str, path: str) -> Iterator[Tuple[str, np.ndarray]]:
    """``(key, BGR frame)``: the file name for images, ``name:frame`` for video frames."""
    if kind == 'image':
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError(f'cannot read image {path}')
        yield osp.basename(path), img
        return
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise ValueError(f'cannot open video {path}')
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        yield f'{osp.basename(path)}:{i}', frame
        i += 1
    cap.release()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('model', help='exported .onnx (with its .json, and .xml for OpenVINO)')
    p.add_argument('inputs', nargs='+', help='images, videos or folders of them')
    p.add_argument('--bboxes', default=None,
                   help='JSON of person boxes, as tools/infer.py --box-file: {"image.jpg" or '
                   '"video.mp4:FRAME": [[x1, y1, x2, y2(, score)], ...]}, COCO detection '
                   'results [{"image_id", "bbox": [x, y, w, h], "score"}] or a COCO file; '
                   'inputs it gives no box have no people (default: each whole frame)')
    p.add_argument('--bbox-thr', type=float, default=0.3,
                   help='boxes from --bboxes must score above it (per-file boxes without a '
                   'score count as 1.0)')
    p.add_argument('--backend', choices=['onnxruntime', 'openvino'], default='onnxruntime',
                   help='runtime')
    p.add_argument('--precision', choices=['fp32', 'bf16', 'int8'], default='fp32',
                   help='bf16: OpenVINO on CPUs with native bf16 only; int8: the model.int8.* '
                   'that export_onnx.py --int8 wrote, on CPUs with VNNI/AMX only')
    flip = p.add_mutually_exclusive_group()
    flip.add_argument('--flip-test', dest='flip_test', action='store_true', default=None,
                      help='average with the horizontally flipped crops (default: as the '
                      "model's test_cfg at export)")
    flip.add_argument('--no-flip-test', dest='flip_test', action='store_false',
                      help='no flip test')
    p.add_argument('--smooth-sigma', type=float, default=0.0,
                   help="take each axis' argmax over the logits blurred by a Gaussian of this "
                   'many bins: robust to the small logit changes of bf16/int8 (docs/deploy.md); '
                   "0 decodes exactly as MMPose")
    p.add_argument('--batch-size', type=int, default=32, help='crops per runtime call')
    p.add_argument('--threads', type=int, default=None,
                   help="runtime threads (default: the runtime's own choice)")
    p.add_argument('--kpt-thr', type=float, default=None,
                   help='draw keypoints whose SimCC score (a raw logit) is above this; '
                   "default: 0.3 x the model's score scale, at most 0.3 (docs/deploy.md)")
    p.add_argument('--out-dir', default='work_dirs/predict', help='where outputs go')
    p.add_argument('--no-draw', action='store_true', help='write only predictions.json')
    return p


def main(args: argparse.Namespace) -> Dict:
    from eba_prnetcc_mmpose.deploy.predictor import PosePredictor, draw_poses
    from eba_tools.scores import default_kpt_thr
    if args.batch_size < 1 or (args.threads is not None and args.threads < 1):
        raise ValueError('--batch-size and --threads must be >= 1')
    inputs = inputs_with_kind(args.inputs)
    boxes = read_boxes(args.bboxes) if args.bboxes else None
    if args.smooth_sigma < 0:
        raise ValueError(f'--smooth-sigma must be >= 0, got {args.smooth_sigma}')
    predictor = PosePredictor(args.model, args.backend, args.precision, args.flip_test,
                              args.batch_size, args.threads, smooth_sigma=args.smooth_sigma)
    scale = predictor.meta.get('score_scale')
    if args.kpt_thr is None:
        args.kpt_thr = default_kpt_thr(scale)
        print(f'--kpt-thr {args.kpt_thr:g} (score scale '
              + (f'{scale:.2g} from the model metadata)' if scale else
                 'not in the model metadata: MMPose\'s 0.3)'))
    os.makedirs(args.out_dir, exist_ok=True)
    results: Dict[str, list] = {}
    below, all_scores = 0, []
    for kind, path in inputs:
        total = (int(cv2.VideoCapture(path).get(cv2.CAP_PROP_FRAME_COUNT)) if kind == 'video'
                 else 1)
        bar = progress(total, osp.basename(path))
        writer = None
        for key, frame in frames(kind, path):
            bb = None
            if boxes is not None:  # a video frame's key is NAME:FRAME
                name, index = (key, None) if kind == 'image' else key.rsplit(':', 1)
                bb = select_boxes(boxes_for(boxes, name, index and int(index)),
                                  args.bbox_thr)[:, :4]
            res = predictor(frame, bb)
            results[key] = res.to_json()
            below += int((res.scores <= args.kpt_thr).sum())
            all_scores += res.scores.ravel().tolist()
            if not args.no_draw:
                drawn = draw_poses(frame, res, predictor.meta.get('skeleton_links', []),
                                   args.kpt_thr)
                if kind == 'image':
                    cv2.imwrite(osp.join(args.out_dir, osp.basename(path)), drawn)
                else:
                    if writer is None:
                        fps = cv2.VideoCapture(path).get(cv2.CAP_PROP_FPS) or 25.0
                        out = osp.join(args.out_dir, osp.splitext(osp.basename(path))[0] + '.mp4')
                        writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                                 (frame.shape[1], frame.shape[0]))
                    writer.write(drawn)
            bar.update(1)
        bar.close()
        if writer is not None:
            writer.release()
    out = dict(model=args.model, backend=args.backend, precision=args.precision,
               flip_test=predictor.flip_test, smooth_sigma=args.smooth_sigma, keypoint_names=predictor.keypoint_names,
               score='SimCC: min over x/y of the max raw logit; not a probability',
               predictions=results)
    with open(osp.join(args.out_dir, 'predictions.json'), 'w') as f:
        json.dump(out, f)
    n_kpts = sum(len(p) for v in results.values() for p in v) * int(
        predictor.meta['num_keypoints'])
    print(f'{len(results)} frame(s), {predictor.session.describe()}; wrote '
          f'{osp.join(args.out_dir, "predictions.json")}'
          + ('' if args.no_draw else ' and drawn output'))
    if n_kpts and below:
        print(f'{below} of {n_kpts} keypoints have a score <= --kpt-thr {args.kpt_thr:g} and '
              f'are not drawn; the scores range {min(all_scores):.3g} to {max(all_scores):.3g} '
              f'(SimCC logit peaks on the model\'s scale: see docs/deploy.md, "Scores")')
    return out


if __name__ == '__main__':
    run_tool(main, build_parser())
