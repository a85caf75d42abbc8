"""Accuracy of the deployed model per runtime and precision: COCO AP on a held-out set and the
keypoints' distance to eager fp32, with and without flip test
(``tools/analysis/deploy_accuracy.py``).

Every row runs the same pipeline, :class:`~eba_prnetcc_mmpose.deploy.predictor.PosePredictor`
(crop, normalise, flip, SimCC decode; tested equal to MMPose's ``inference_topdown`` in fp32),
over the held-out set's detected boxes; only the network differs: eager PyTorch (fp32), OpenVINO
fp32 / bf16 / int8 and ONNX Runtime fp32 / int8. AP is MMPose's ``CocoMetric`` with the
config's evaluator settings, fed as the test loop feeds it (box scores, areas of the crops).
MMPose's own test loop on the same set gives the reference AP of eager fp32.
"""
import contextlib
import copy
import io
import json
import os.path as osp
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch

from eba_prnetcc_mmpose.deploy.predictor import PosePredictor, decode_simcc
from eba_prnetcc_mmpose.utils.model_build import RawForward

from . import REPO

#: (backend, precision) rows of the study, eager first (the reference of the distances).
ROWS = (('eager', 'fp32'), ('openvino', 'fp32'), ('openvino', 'bf16'), ('openvino', 'int8'),
        ('onnxruntime', 'fp32'), ('onnxruntime', 'int8'))
LABELS = {('eager', 'fp32'): 'PyTorch eager fp32', ('openvino', 'fp32'): 'OpenVINO fp32',
          ('openvino', 'bf16'): 'OpenVINO bf16', ('openvino', 'int8'): 'OpenVINO int8 (NNCF)',
          ('onnxruntime', 'fp32'): 'ONNX Runtime fp32',
          ('onnxruntime', 'int8'): 'ONNX Runtime int8 (static QDQ)'}


class TorchSession:
    """Eager PyTorch behind the runtime sessions' interface: ``session(batch) -> [x, y]``."""

    backend, precision = 'eager', 'fp32'

    def __init__(self, model: torch.nn.Module):
        self.forward = RawForward(model).eval()

    def __call__(self, batch: np.ndarray) -> List[np.ndarray]:
        with torch.no_grad():
            return [o.numpy() for o in self.forward(torch.from_numpy(
                np.ascontiguousarray(batch, np.float32)))]

    def describe(self) -> str:
        return 'eager fp32 (PyTorch)'


def load_detections(data_root: str, limit: Optional[int] = None) -> List[Dict[str, Any]]:
    """Held-out images with their detected person boxes, as MMPose's ``CocoDataset`` reads
    them (``person_detection_results/val_detections.json``, category 1, every score)."""
    with open(osp.join(data_root, 'annotations', 'person_keypoints_val.json')) as f:
        images = {i['id']: i for i in json.load(f)['images']}
    with open(osp.join(data_root, 'person_detection_results', 'val_detections.json')) as f:
        dets = [d for d in json.load(f) if d['category_id'] == 1]
    by_image: Dict[int, List] = {}
    for d in dets:
        by_image.setdefault(d['image_id'], []).append(d)
    out = []
    for img_id in sorted(by_image)[:limit]:
        ds = by_image[img_id]
        xywh = np.array([d['bbox'][:4] for d in ds], np.float32)
        out.append(dict(img_id=img_id, path=osp.join(data_root, 'images', 'val',
                                                     images[img_id]['file_name']),
                        boxes=np.hstack([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]]),
                        scores=np.array([d['score'] for d in ds], np.float32)))
    return out


def predict_set(predictor: PosePredictor, samples: Sequence[Dict]) -> Dict[str, np.ndarray]:
    """Raw logits (flip-averaged if the predictor flips), crop centres and scales (N, 2) of
    every box of ``samples``, decoded as the predictor decodes (:func:`decode`)."""
    keys = ('simcc_x', 'simcc_y', 'centers', 'scales')
    out: Dict[str, List] = {k: [] for k in keys}
    for s in samples:
        crops, center, scale = predictor.preprocess(cv2.imread(s['path']), s['boxes'])
        for k, v in zip(keys, (*predictor.infer_logits(crops), center, scale)):
            out[k].append(v)
    pred = {k: np.concatenate(v) for k, v in out.items()}
    return decode(pred, predictor.meta, predictor.smooth_sigma)


def decode(pred: Dict[str, np.ndarray], meta: Dict, smooth_sigma: float = 0.0) -> Dict:
    """``pred`` with ``keypoints`` (N, K, 2, image pixels) and ``scores`` (N, K) decoded from
    its logits as the predictor does (``smooth_sigma``: see ``decode_simcc``)."""
    kpts, scores = decode_simcc(pred['simcc_x'], pred['simcc_y'], meta['simcc_split_ratio'],
                                smooth_sigma)
    center, scale = pred['centers'][:, None], pred['scales'][:, None]
    kpts = kpts / np.asarray(meta['input_size'], np.float32) * scale + center - 0.5 * scale
    return dict(pred, keypoints=kpts, scores=scores)


def coco_ap(evaluator_cfg: Dict, dataset_meta: Dict, samples: Sequence[Dict],
            pred: Dict[str, np.ndarray]) -> Dict[str, float]:
    """MMPose's ``CocoMetric`` (the config's settings) on predictions of ``samples``' boxes."""
    from mmpose.registry import METRICS
    cfg = copy.deepcopy(evaluator_cfg)
    with tempfile.TemporaryDirectory() as tmp:
        cfg['outfile_prefix'] = osp.join(tmp, 'eval')
        metric = METRICS.build(cfg)
        metric.dataset_meta = dataset_meta
        i = 0
        for s in samples:
            for score in s['scores']:
                metric.process([], [dict(
                    id=i, img_id=s['img_id'], category_id=1,
                    pred_instances=dict(keypoints=pred['keypoints'][i:i + 1],
                                        keypoint_scores=pred['scores'][i:i + 1]),
                    gt_instances=dict(bbox_scores=np.array([score]),
                                      bbox_scales=pred['scales'][i:i + 1]))])
                i += 1
        with contextlib.redirect_stdout(io.StringIO()):  # pycocotools' summary tables
            return {k: float(v) for k, v in metric.compute_metrics(metric.results).items()}


def distances(kpts: np.ndarray, ref: np.ndarray) -> Dict[str, float]:
    """Keypoint distance (image pixels) to the reference: mean, p99, max, share > 1 px."""
    d = np.linalg.norm(kpts - ref, axis=-1).ravel()
    return dict(mean_px=float(d.mean()), p99_px=float(np.percentile(d, 99)),
                max_px=float(d.max()), over_1px=float(np.mean(d > 1.0)))


def tie_analysis(pred: Dict[str, np.ndarray], ref: Dict[str, np.ndarray],
                 jump_px: float = 2.0) -> Dict[str, Any]:
    """Why keypoints jump (> ``jump_px`` image px from the reference) in a lower precision.

    For each jumping keypoint axis: is the low-precision maximum tied (several bins share it,
    as a coarse number grid makes likely), and how far below the reference's own maximum the
    reference logits are at the bin the low precision chose (a small relative margin = two
    near-equal peaks, where any perturbation of the logits can move the argmax)."""
    d = np.linalg.norm(pred['keypoints'] - ref['keypoints'], axis=-1)
    out: Dict[str, Any] = dict(jumps=int((d > jump_px).sum()), keypoints=int(d.size))
    tied, margins, bins_apart = 0, [], []
    for axis in ('simcc_x', 'simcc_y'):
        lo, hi = pred[axis], ref[axis]
        a_lo, a_hi = lo.argmax(-1), hi.argmax(-1)
        moved = (a_lo != a_hi) & (d > jump_px)
        tied += int(((lo == lo.max(-1, keepdims=True)).sum(-1) > 1)[moved].sum())
        top = np.take_along_axis(hi, a_hi[..., None], -1)[..., 0]
        at = np.take_along_axis(hi, a_lo[..., None], -1)[..., 0]
        margins += list(((top - at) / np.maximum(np.abs(top), 1e-6))[moved])
        bins_apart += list(np.abs(a_lo - a_hi)[moved])
    out.update(tied_axes=tied, moved_axes=len(margins),
               median_rel_margin=float(np.median(margins)) if margins else None,
               max_rel_margin=float(np.max(margins)) if margins else None,
               median_bins_apart=float(np.median(bins_apart)) if bins_apart else None)
    return out


def run_rows(onnx: str, model: torch.nn.Module, samples: Sequence[Dict],
             rows: Sequence[Tuple[str, str]], flips: Sequence[bool], threads: int = 2,
             say=print) -> Dict[str, Dict]:
    """Predictions of every (backend, precision) x flip row; a row this CPU cannot run is
    recorded as skipped with the runtime's one-line reason."""
    from eba_prnetcc_mmpose.deploy.runtime import DeployError
    preds: Dict[str, Dict] = {}
    for backend, precision in rows:
        for flip in flips:
            key = f'{backend}-{precision}-{"flip" if flip else "noflip"}'
            say(f'{key}: predicting {sum(len(s["boxes"]) for s in samples)} boxes')
            try:
                predictor = PosePredictor(onnx, 'onnxruntime' if backend == 'eager' else backend,
                                          'fp32' if backend == 'eager' else precision,
                                          flip_test=flip, batch_size=32, num_threads=threads)
            except DeployError as e:
                preds[key] = dict(skipped=str(e))
                continue
            if backend == 'eager':
                predictor.session = TorchSession(model)
            preds[key] = predict_set(predictor, samples)
    return preds


MARK_START, MARK_END = '<!-- int8-accuracy:start -->', '<!-- int8-accuracy:end -->'


def _label(key: str) -> str:
    backend, precision = key.split('-')[:2]
    if precision == 'int8_headq':
        return LABELS[(backend, 'int8')] + ', SimCC output layers quantised too'
    if precision in ('int8_mixed', 'int8_performance'):
        return LABELS[(backend, 'int8')] + f", preset {precision.split('_')[1]}"
    return LABELS[(backend, precision)]


def _row_keys(rows: Dict) -> List[str]:
    order = [f'{b}-{p}' for b, p in ROWS]

    def base(k):
        return k.split('_')[0]
    return sorted({k.rsplit('-', 1)[0] for k in rows},
                  key=lambda k: ('_' in k, order.index(base(k)) if base(k) in order else 99, k))


def _ap_table(rows: Dict, keys: Sequence[str]) -> List[str]:
    """AP with / without flip, its difference from eager, distances to eager."""
    lines = ['| runtime | AP flip | AP no flip | ΔAP vs eager (flip / no flip) | AP50 flip | '
             'AR flip | mean px (flip / no) | p99 px (flip / no) | max px (flip / no) | '
             '> 1 px (flip / no) |', '|---|---|---|---|---|---|---|---|---|---|']
    ref = {f: rows.get(f'eager-fp32-{f}', {}).get('ap', {}).get('AP') for f in ('flip', 'noflip')}

    def cell(key, flip, fn, fmt):
        r = rows.get(f'{key}-{flip}')
        if r is None:
            return '–'
        if 'skipped' in r:
            return 'skipped'
        return fmt.format(fn(r))

    for key in keys:
        f = f'{key}-flip'
        if 'skipped' in rows.get(f, {}):
            lines.append(f"| {_label(key)} | skipped: {rows[f]['skipped']} |" + ' |' * 8)
            continue
        ap = [cell(key, x, lambda r: r['ap']['AP'], '{:.4f}') for x in ('flip', 'noflip')]
        dap = [cell(key, x, lambda r, x=x: r['ap']['AP'] - ref[x], '{:+.4f}')
               if ref[x] is not None else '–' for x in ('flip', 'noflip')]
        dist = [' / '.join(cell(key, x, lambda r, q=q: r['distance'][q], fmt)
                           for x in ('flip', 'noflip'))
                for q, fmt in (('mean_px', '{:.3f}'), ('p99_px', '{:.2f}'), ('max_px', '{:.1f}'),
                               ('over_1px', '{:.1%}'))]
        lines.append(f"| {_label(key)} | {ap[0]} | {ap[1]} | {dap[0]} / {dap[1]} | "
                     + cell(key, 'flip', lambda r: r['ap']['AP .5'], '{:.4f}') + ' | '
                     + cell(key, 'flip', lambda r: r['ap']['AR'], '{:.4f}') + ' | '
                     + ' | '.join(dist) + ' |')
    return lines


def render_section(res: Dict) -> str:
    """The generated accuracy section of docs/deploy.md (between :data:`MARK_START` and
    :data:`MARK_END`) from a results JSON."""
    m, rows, h = res['machine'], res['rows'], res['heldout']
    s = res['settings']
    cal = res['int8']['default'].get('calibration', {})
    config = osp.relpath(s['config'], REPO) if osp.isabs(s['config']) else s['config']
    lines = [MARK_START, '<!-- generated by tools/analysis/deploy_accuracy.py from '
             f"{res.get('source', '?')}; do not edit -->", '',
             f"Measured {res['started']} to {res['finished']} on {m['cpu']} ({m['cpu_count']} "
             f"cores; flags {', '.join(m.get('cpu_flags', []))}), onnxruntime "
             f"{m.get('onnxruntime', '–')}, openvino {m.get('openvino', '–')}, "
             f"{res['int8']['default'].get('openvino', {}).get('tool', '').split(',')[0]}; "
             f"load average {m['load_avg_start'][0]:.1f} at the start, "
             f"{m.get('load_avg_end', ['?'])[0]:.1f} at the end (accuracy does not depend on "
             f'it). Model: `{config}` with `{s.get("checkpoint")}`. Held-out set: '
             f"{h['images']} images, {h['boxes']} "
             f"detected boxes, generated with seed {h['seed']} (`{h['root']}`; training uses seed "
             f"0). int8 calibration: {cal.get('crops')} crops of `{cal.get('ann_file')}` (seed "
             f"{cal.get('seed')}), made by the predictor's own crop and normalisation; NNCF "
             f"preset {res['int8']['default'].get('openvino', {}).get('preset', '?')}."
             + (f" Training: {s['note']}" if s.get('note') else ''), '',
             'AP: MMPose `CocoMetric` with the config\'s settings. Distance: per keypoint, image '
             'pixels, to eager fp32 with the same flip setting, over every keypoint of every '
             'box.', '',
             ]
    keys = _row_keys(rows)
    lines += _ap_table(rows, keys)
    mt = res.get('mmpose_test')
    if mt:
        lines += ['', f"MMPose's own test loop (`Runner.test`, eager fp32) on the same set: AP "
                  f"{mt['flip']['AP']:.4f} with flip test, {mt['noflip']['AP']:.4f} without "
                  '(the eager row above runs the deployed pipeline with PyTorch as the '
                  'runtime).']
    ties = [(k, r['ties']) for k, r in rows.items() if 'ties' in r and r['ties']['jumps']]
    if ties:
        lines += ['', 'Keypoints that jump (> 2 image px from eager fp32), per row: how many '
                  'keypoint axes moved their argmax; how many of those had a *tied* maximum in '
                  'the lower precision (several bins with exactly the largest value); the '
                  'median and largest margin, in eager fp32, between the true peak and the bin '
                  'chosen instead, relative to the peak (small = two near-equal peaks); the '
                  'median distance between the two bins.', '',
                  '| row | jumping keypoints | moved axes | tied | median margin | largest margin '
                  '| median bins apart | jumping with the tie-robust decoding |',
                  '|---|---|---|---|---|---|---|---|']
        for k, t in sorted(ties):
            sm = (res.get('rows_smoothed') or {}).get(k, {}).get('ties', {}).get('jumps', '–')
            lines.append(f"| {_label(k)}, {k.rsplit('-', 1)[1]} | {t['jumps']} of "
                         f"{t['keypoints']} | {t['moved_axes']} | {t['tied_axes']} | "
                         f"{t['median_rel_margin']:.4f} | {t['max_rel_margin']:.4f} | "
                         f"{t['median_bins_apart']:.0f} | {sm} |")
    sm = res.get('rows_smoothed')
    if sm:
        lines += ['', f"The same predictions decoded with the tie-robust argmax "
                  f"(`--smooth-sigma {res['smooth_sigma']:g}`: each axis' logits blurred by a "
                  f"Gaussian of {res['smooth_sigma']:g} bins before the argmax; scores unchanged); "
                  'distances to eager fp32 decoded the same way:', '']
        lines += _ap_table(sm, _row_keys(sm))
    ref = {f: rows.get(f'eager-fp32-{f}', {}).get('ap', {}).get('AP') for f in ('flip', 'noflip')}
    goal = []
    for key in keys:
        if 'int8' not in key:
            continue
        for x in ('flip', 'noflip'):
            r = rows.get(f'{key}-{x}')
            if r and 'ap' in r and ref[x] is not None:
                d = r['ap']['AP'] - ref[x]
                goal.append(f"{_label(key)}, {x.replace('noflip', 'no flip')}: ΔAP {d:+.4f} "
                            + ('(met)' if abs(d) <= 0.01 else
                               f'(missed by {abs(d) - 0.01:.4f})'))
    if goal:
        lines += ['', 'Goal "int8 AP within 0.01 of fp32": ' + '; '.join(goal) + '.']
    lines += ['', MARK_END]
    return '\n'.join(lines)


def replace_section(path: str, section: str) -> None:
    """Put ``section`` between the markers in ``path`` (appended when they are missing)."""
    text = open(path).read() if osp.isfile(path) else ''
    if MARK_START in text and MARK_END in text:
        head, rest = text.split(MARK_START, 1)
        text = head + section + rest.split(MARK_END, 1)[1]
    else:
        text = text.rstrip('\n') + '\n\n' + section + '\n'
    with open(path, 'w') as f:
        f.write(text)
