"""A SimCC model's keypoint-score scale, and the default drawing threshold taken from it: one
rule for ``tools/infer.py`` and ``tools/deployment/predict.py`` (numpy-free arithmetic, so the
MMPose-free predictor can use it).

A SimCC keypoint score is ``min(max(logits_x), max(logits_y))``: a raw logit, whose scale is
set by how the model was trained. A KL loss fits ``softmax(beta * logits)`` to the target; with
``label_softmax`` the target is ``softmax(label_beta * t)`` for the codec's Gaussian ``t``, so a
perfect fit has ``logits = (label_beta / beta) * t + c``: the keypoint's logit stands
``(label_beta / beta) * peak(t)`` above the background, where ``peak(t)`` is 1, or
``1 / (sigma * sqrt(2 pi))`` with ``normalize=True`` (0.115 at sigma 3.46). The background sits
near 0 (the KL gradient of a logit row sums to 0, so training leaves its mean where the
initialisation put it), so that is the score scale (:func:`simcc_score_scale`). Without
``label_softmax`` the target's tails are ~0 and the logits have no fixed scale (trained models
score about 1 to 10).

Measured (5-keypoint squares, 30 epochs, flip test; median / 5th-95th percentile of the val
keypoint scores): ``normalize=False`` + label_softmax (scale 1.0, AP 0.48): 0.61 / 0.26-1.53;
``normalize=True`` + label_softmax (scale 0.115, AP 0.03): 0.020 / 0.016-0.050; an issue report
gives 0.02-0.07 at AP 0.74 for the latter pairing.

The default threshold (:func:`default_kpt_thr`) is MMPose's ``kpt_thr=0.3`` for models whose
scores reach 1 (its default, e.g. RTMPose's pairing) and the same fraction of the scale below
that: 0.3 x 0.115 = 0.035 for the normalised pairing.
"""
import math
from typing import Optional, Sequence, Tuple

from .target_check import CODEC_DEFAULTS, KL_LOSSES, LOSS_DEFAULTS

#: MMPose's default ``kpt_thr``, as a fraction of a score scale of at most 1
SCORE_THR_FRACTION = 0.3


def _type(cfg) -> str:
    return str((cfg or {}).get('type', '')).split('.')[-1]


def simcc_score_scale(codec: Optional[dict], loss: Optional[dict]) -> Tuple[Optional[float], str]:
    """``(scale, how)``: the logit a perfectly fitted keypoint scores above the background,
    and one phrase saying where it comes from; scale None when it has no fixed scale."""
    if _type(codec) != 'SimCCLabel' or _type(loss) not in KL_LOSSES:
        return None, 'not a SimCC codec with a KL loss: no known score scale'
    c = dict(CODEC_DEFAULTS, **{k: v for k, v in codec.items() if k != 'type'})
    lo = dict(LOSS_DEFAULTS, **{k: v for k, v in loss.items() if k != 'type'})
    if not lo['label_softmax'] or c['smoothing_type'] != 'gaussian' or not lo['beta']:
        return None, ('no label_softmax: targets ~0 in the tails, so the logits have no fixed '
                      'scale (trained models score about 1-10)')
    sigma = c['sigma']
    sigma = max(float(s) for s in (sigma if isinstance(sigma, (list, tuple)) else [sigma]))
    peak = 1 / (sigma * math.sqrt(2 * math.pi)) if c['normalize'] else 1.0
    ratio = float(lo['label_beta']) / float(lo['beta'])
    scale = ratio * peak
    target = (f'normalised Gaussians (sigma {sigma:g}, peak {peak:.3g})' if c['normalize']
              else 'Gaussians of peak 1')
    return scale, (f'label_softmax on {target}, label_beta/beta = {ratio:g}: a well-fitted '
                   f'keypoint scores about {scale:.2g}')


def scale_from_config(cfg) -> Tuple[Optional[float], str]:
    """:func:`simcc_score_scale` of a config's training targets (the train pipeline's
    ``GenerateTarget`` encoder, else the head's decoder, else ``codec``) and head loss."""
    head = (cfg.get('model') or {}).get('head') or {}
    codec = None
    ds = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    for step in ds.get('pipeline') or []:
        if step.get('type') == 'GenerateTarget' and isinstance(step.get('encoder'), dict):
            codec = step['encoder']
            break
    codec = codec or head.get('decoder') or cfg.get('codec')
    return simcc_score_scale(codec, head.get('loss'))


def default_kpt_thr(scale: Optional[float]) -> float:
    """``0.3 x min(scale, 1)`` (two significant digits); 0.3 when the scale is not fixed."""
    if scale is None or not scale > 0:
        return SCORE_THR_FRACTION
    thr = SCORE_THR_FRACTION * min(scale, 1.0)
    digits = 1 - int(math.floor(math.log10(thr)))
    return round(thr, digits)


def below_threshold_note(name: str, scores: Sequence[float], people: int, kpt_thr: float,
                         scale: Optional[float], how: str, option: str = '--kpt-thr') -> str:
    """The line both tools print when every keypoint of an input scores below ``kpt_thr``:
    what the scores are and what this model's scale is, and the setting to change."""
    lo, hi = min(scores), max(scores)
    default = default_kpt_thr(scale)
    suggest = default if default < kpt_thr and hi > default else _round_down(hi / 2)
    return (f'{name}: all {len(scores)} keypoint scores of its {people} person box(es) are '
            f'below {option} {kpt_thr:g} (they range {lo:.3g} to {hi:.3g}), so no keypoint is '
            f'drawn. Scores are SimCC logit peaks, not probabilities; this model\'s scale: '
            f'{how}. Pass {option} {suggest:g} to draw them')


def _round_down(x: float) -> float:
    """``x`` rounded down to one significant digit (at least 1e-3)."""
    x = max(x, 1e-3)
    step = 10 ** math.floor(math.log10(x))
    return math.floor(x / step) * step
