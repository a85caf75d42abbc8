"""The score scale of a SimCC model from its codec and loss, the default threshold taken from
it, and the line that says what the scores are."""
import math

import pytest

from eba_tools.scores import (below_threshold_note, default_kpt_thr, scale_from_config,
                              simcc_score_scale)

CODEC = dict(type='SimCCLabel', input_size=(96, 96), sigma=(3.46, 3.46), simcc_split_ratio=2.0)
SOFT = dict(type='EBAKLDiscretLoss', beta=10.0, label_softmax=True)


def test_scale_of_each_pairing():
    assert simcc_score_scale(dict(CODEC, normalize=False), SOFT)[0] == pytest.approx(1.0)
    normalised, how = simcc_score_scale(CODEC, SOFT)  # SimCCLabel normalises by default
    assert normalised == pytest.approx(1 / (3.46 * math.sqrt(2 * math.pi)))
    assert 'normalised Gaussians' in how
    assert simcc_score_scale(dict(CODEC, normalize=False),
                             dict(SOFT, label_beta=20.0))[0] == pytest.approx(2.0)
    for loss in (dict(type='KLDiscretLoss'), dict(type='EBAKLDiscretLoss', beta=10.0)):
        scale, how = simcc_score_scale(CODEC, loss)
        assert scale is None and 'no label_softmax' in how
    assert simcc_score_scale(dict(type='MSRAHeatmap'), SOFT)[0] is None


def test_default_threshold_is_mmposes_at_scale_one_and_the_same_fraction_below():
    assert default_kpt_thr(None) == default_kpt_thr(1.0) == default_kpt_thr(2.0) == 0.3
    assert default_kpt_thr(0.1152) == 0.035


def test_scale_from_a_config_uses_the_training_targets():
    from mmengine.config import Config

    from eba_tools import DEMO_CONFIG
    cfg = Config.fromfile(DEMO_CONFIG)
    assert scale_from_config(cfg)[0] == pytest.approx(1.0)  # normalize=False + label_softmax


def test_note_says_what_the_scores_are_and_what_to_set():
    line = below_threshold_note('a.jpg', [0.021, 0.068], 1, 0.3, 0.115, 'HOW')
    for fact in ('a.jpg', '0.021 to 0.068', 'HOW', 'Pass --kpt-thr 0.035'):
        assert fact in line, fact
    assert 'train' not in line
    line = below_threshold_note('a.jpg', [0.02, 0.1], 1, 0.3, None, 'HOW')
    assert 'Pass --kpt-thr 0.05' in line  # half the top score, rounded down
