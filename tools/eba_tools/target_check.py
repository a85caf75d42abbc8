"""Is the SimCC target the loss actually sees peaked, or nearly flat?

A ``SimCCLabel`` codec writes a Gaussian per axis; a KL loss (MMPose's ``KLDiscretLoss`` or the
plugin's ``EBAKLDiscretLoss``) with ``label_softmax=True`` first turns it into
``softmax(label_beta * target)``. The pairing decides what the model learns from:

- ``normalize=False`` + ``label_softmax`` (RTMPose): the Gaussian peaks at 1, so the label
  softmax sharpens it (peak/floor ``exp(label_beta)``);
- ``normalize=True`` without label softmax (stock SimCC, ``beta=1``): the normalised Gaussian
  is already a distribution;
- ``normalize=True`` + ``label_softmax``: the Gaussian divided by ``sigma * sqrt(2 pi)`` peaks at
  ~0.13 for sigma 3, so ``softmax(10 * t)`` has peak/floor ~3.8 and ~0.99 of the uniform
  entropy. The model learns almost flat distributions, and its keypoint scores (the largest
  logit) span only ``log(peak/floor) / beta`` above the background.

:func:`effective_target` computes, for one keypoint at the image centre, the distribution the
KL term compares the prediction with (the target, label-softmaxed if the loss does, divided by
its sum) per axis: peak/floor, entropy against ``log(bins)``, mass within +-3 sigma.
:func:`check_targets` turns a nearly flat one into one line with the numbers and the fix.

Thresholds (:data:`MAX_ENTROPY_RATIO`, :data:`MIN_MASS_3SIGMA`): every SimCC and RTMPose
config MMPose 1.3.2 ships, and every paper-row config here, has entropy <= 0.55 of uniform and
>= 0.99 of the mass within +-3 sigma; the uniform distribution has 1.0 and ``(6 sigma + 1) /
bins`` (~0.1 on the demo's 192 bins). A target above 0.9 of the uniform entropy is closer to
uniform than to any shipped recipe (a Gaussian target that flat has sigma 0.13-0.15 of the axis
on 192-768 bins, so +-3 sigma spans 75-90 % of it); one with under half its mass within +-3
sigma of the keypoint teaches the model more about the background than about the keypoint.
"""
import math
from typing import Dict, List, Optional, Tuple

import numpy as np

#: flag a target whose entropy exceeds this fraction of ``log(bins)``
MAX_ENTROPY_RATIO = 0.9
#: flag a target with less than this fraction of its mass within +-3 sigma of the keypoint
MIN_MASS_3SIGMA = 0.5
#: loss types whose targets this module understands (their ``label_softmax`` semantics)
KL_LOSSES = ('KLDiscretLoss', 'EBAKLDiscretLoss')
#: defaults of both losses (MMPose 1.3.2 ``KLDiscretLoss``; ``EBAKLDiscretLoss`` keeps them)
LOSS_DEFAULTS = dict(beta=1.0, label_softmax=False, label_beta=10.0)
#: ``SimCCLabel`` defaults (MMPose 1.3.2)
CODEC_DEFAULTS = dict(sigma=6.0, simcc_split_ratio=2.0, normalize=True,
                      smoothing_type='gaussian')


def _type(cfg: Optional[dict]) -> str:
    return str((cfg or {}).get('type', '')).split('.')[-1]


def simcc_target(bins: int, sigma: float, normalize: bool = True) -> np.ndarray:
    """``SimCCLabel``'s Gaussian target for a keypoint at the centre of ``bins`` bins.

    Same arithmetic as MMPose 1.3.2 ``SimCCLabel._generate_gaussian`` (float32; the keypoint at
    the rounded bin ``round(bins / 2)``; divided by ``sigma * sqrt(2 pi)`` when ``normalize``).
    """
    x = np.arange(bins, dtype=np.float32)
    mu = np.around(np.float64(bins) / 2).astype(np.int64)
    sigma = np.float64(sigma)
    t = np.zeros(bins, dtype=np.float32)
    t[:] = np.exp(-((x - mu)**2) / (2 * sigma**2))
    if normalize:
        t /= sigma * np.sqrt(np.pi * 2)
    return t


def axis_stats(target: np.ndarray, sigma: float, label_softmax: bool,
               label_beta: float) -> Dict[str, float]:
    """The distribution the KL term sees for one axis's ``target``, summarised.

    Returns:
        dict: ``peak`` (of the raw target), ``peak_floor`` (largest / smallest probability;
        ``inf`` where the smallest is 0), ``entropy`` and ``max_entropy`` (``log(bins)``, nats),
        ``entropy_ratio``, ``mass_3sigma`` (within +-3 sigma of the keypoint) and ``bins``.
    """
    t = target.astype(np.float64)
    if label_softmax:
        z = label_beta * t
        q = np.exp(z - z.max())
    else:
        q = t.copy()
    q = q / q.sum()  # KL(q || p) with an unnormalised target is minimised by p = q / sum(q)
    bins = q.size
    nz = q[q > 0]
    entropy = float(-(nz * np.log(nz)).sum())
    centre = int(np.around(bins / 2))
    near = np.abs(np.arange(bins) - centre) <= 3 * sigma
    floor = float(q.min())
    return dict(bins=bins, peak=float(t.max()),
                peak_floor=float(q.max() / floor) if floor > 0 else math.inf,
                entropy=entropy, max_entropy=math.log(bins),
                entropy_ratio=entropy / math.log(bins), mass_3sigma=float(q[near].sum()))


def effective_target(codec: dict, loss: dict) -> Optional[Dict[str, Dict[str, float]]]:
    """Per axis (``'x'``, ``'y'``), :func:`axis_stats` of a codec/loss pair from their configs.

    Returns None when the pair is not a Gaussian ``SimCCLabel`` with a KL loss of
    :data:`KL_LOSSES` (nothing to say about other codecs and losses).
    """
    if _type(codec) != 'SimCCLabel' or _type(loss) not in KL_LOSSES:
        return None
    c = dict(CODEC_DEFAULTS, **{k: v for k, v in codec.items() if k != 'type'})
    if c['smoothing_type'] != 'gaussian' or c.get('input_size') is None:
        return None
    lo = dict(LOSS_DEFAULTS, **{k: v for k, v in loss.items() if k != 'type'})
    sigma = c['sigma']
    sigmas = (float(sigma), ) * 2 if isinstance(sigma, (int, float)) else tuple(
        float(s) for s in sigma)
    out = {}
    for axis, side, s in zip('xy', c['input_size'], sigmas):
        bins = int(np.around(side * float(c['simcc_split_ratio'])))
        t = simcc_target(bins, s, bool(c['normalize']))
        out[axis] = dict(axis_stats(t, s, bool(lo['label_softmax']), float(lo['label_beta'])),
                         sigma=s)
    return out


def is_flat(stats: Dict[str, float]) -> bool:
    """Whether one axis's target is nearly flat (:data:`MAX_ENTROPY_RATIO`,
    :data:`MIN_MASS_3SIGMA`)."""
    return stats['entropy_ratio'] > MAX_ENTROPY_RATIO or stats['mass_3sigma'] < MIN_MASS_3SIGMA


def _target_codecs(cfg) -> List[Tuple[str, dict]]:
    """``(path, codec)`` of the codecs that write the training targets (the train pipeline's
    ``GenerateTarget`` encoders), else the head's decoder, else ``codec``."""
    out = []
    ds = (cfg.get('train_dataloader') or {}).get('dataset') or {}
    for i, step in enumerate(ds.get('pipeline') or []):
        if step.get('type') == 'GenerateTarget':
            enc = step.get('encoder')
            for j, e in enumerate(enc if isinstance(enc, (list, tuple)) else [enc]):
                if isinstance(e, dict):
                    out.append((f'train_dataloader.dataset.pipeline[{i}].encoder'
                                + (f'[{j}]' if isinstance(enc, (list, tuple)) else ''), e))
    head = (cfg.get('model') or {}).get('head') or {}
    for path, c in (('model.head.decoder', head.get('decoder')), ('codec', cfg.get('codec'))):
        if not out and isinstance(c, dict):
            out.append((path, c))
    return out


def _fmt(x: float) -> str:
    return 'inf' if math.isinf(x) else f'{x:.3g}'


def describe(stats: Dict[str, Dict[str, float]]) -> str:
    """``x: peak/floor 3.78, entropy 5.22 of 5.26 nats (0.99), 9 % within +-3 sigma; y: ...``"""
    parts = []
    for axis, s in stats.items():
        parts.append(f"{axis} ({s['bins']} bins, sigma {s['sigma']:g}): peak/floor "
                     f"{_fmt(s['peak_floor'])}, entropy {s['entropy']:.2f} of "
                     f"{s['max_entropy']:.2f} nats ({s['entropy_ratio']:.2f}), "
                     f"{100 * s['mass_3sigma']:.0f} % of the mass within +-3 sigma")
    return '; '.join(parts)


def check_targets(cfg) -> List[str]:
    """One line per training-target codec whose pairing with ``model.head.loss`` is nearly flat.

    Each line gives the numbers (:func:`describe`), the logit range the scores can span
    (``log(peak/floor) / beta``) and the fix: ``normalize=False`` in the codec (RTMPose's
    pairing) or no ``label_softmax`` with ``beta=1`` (stock SimCC) when the loss softmaxes
    normalised targets; otherwise a smaller ``sigma`` (or a larger ``label_beta``).
    """
    loss = ((cfg.get('model') or {}).get('head') or {}).get('loss')
    if not isinstance(loss, dict):
        return []
    problems = []
    for path, codec in _target_codecs(cfg):
        stats = effective_target(codec, loss)
        if stats is None or not any(is_flat(s) for s in stats.values()):
            continue
        lo = dict(LOSS_DEFAULTS, **loss)
        normalize = codec.get('normalize', CODEC_DEFAULTS['normalize'])
        ratio = min(s['peak_floor'] for s in stats.values())
        spread = (f'; predicted scores (largest logit) can then rise only about '
                  f"{math.log(ratio) / float(lo['beta']):.2g} above the background"
                  if math.isfinite(ratio) and lo['beta'] else '')
        if lo['label_softmax'] and normalize:
            fix = (f"set normalize=False in {path} (RTMPose's pairing with label_softmax), or "
                   f'drop label_softmax and use beta=1.0 in model.head.loss (stock SimCC with '
                   f'normalised targets)')
        elif lo['label_softmax']:
            fix = (f"raise model.head.loss label_beta (now {lo['label_beta']:g}) or make the "
                   f'sigma of {path} smaller')
        else:
            fix = f'make the sigma of {path} smaller'
        problems.append(
            f"model.head.loss ({_type(loss)}, label_softmax={bool(lo['label_softmax'])}, "
            f"label_beta={float(lo['label_beta']):g}, beta={float(lo['beta']):g}) on {path} "
            f"(SimCCLabel normalize={bool(normalize)}) trains on nearly flat targets: "
            f'{describe(stats)}{spread}. Fix: {fix} (docs/custom_dataset.md, '
            f'"Targets and loss")')
    return problems
