"""The SimCC target a KL loss sees: hand-computed numbers for the demo's bins, agreement with
MMPose's codec and losses, the flag with its fix, and no false alarm on a shipped config."""
import glob
import math
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpose.codecs import SimCCLabel
from mmpose.models.losses import KLDiscretLoss

from eba_prnetcc_mmpose.models.losses import EBAKLDiscretLoss
from eba_tools import REPO
from eba_tools.target_check import (MAX_ENTROPY_RATIO, effective_target, is_flat,
                                    simcc_target, check_targets)

DEMO = osp.join(REPO, 'configs', 'demo', 'simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py')
CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True))
# the demo's codec: 96 x 128 input, split ratio 2 -> 192 x-bins and 256 y-bins, sigma 3 bins
CODEC = dict(type='SimCCLabel', input_size=(96, 128), sigma=(3.0, 3.0), simcc_split_ratio=2.0)
OLD_LOSS = dict(type='EBAKLDiscretLoss', use_target_weight=True, beta=10.0, label_softmax=True)
STOCK_LOSS = dict(type='EBAKLDiscretLoss', use_target_weight=True, beta=1.0)


def _hand_stats(bins: int, sigma: float, label_beta: float):
    """softmax(label_beta * t) of the normalised Gaussian, with math only (no numpy)."""
    mu = bins // 2
    t = [math.exp(-(i - mu)**2 / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))
         for i in range(bins)]
    z = sum(math.exp(label_beta * v) for v in t)
    q = [math.exp(label_beta * v) / z for v in t]
    entropy = math.log(z) - label_beta * sum(a * b for a, b in zip(q, t))
    return max(t), max(q) / min(q), entropy, sum(q[mu - 9:mu + 10])


def test_the_issues_numbers_for_the_old_demo_pairing():
    """sigma 3: peak 1/(3 sqrt(2 pi)) = 0.133, peak/floor exp(10 x 0.133) = 3.78; entropy 5.51 of
    log(256) = 5.55 nats on the y axis (H 128 x 2), 5.21 of log(192) = 5.26 on x."""
    s = effective_target(CODEC, OLD_LOSS)
    for axis, bins in (('x', 192), ('y', 256)):
        peak, ratio, entropy, mass = _hand_stats(bins, 3.0, 10.0)
        got = s[axis]
        assert got['bins'] == bins
        assert got['peak'] == pytest.approx(peak, rel=1e-6)
        assert got['peak_floor'] == pytest.approx(ratio, rel=1e-5)
        assert got['entropy'] == pytest.approx(entropy, rel=1e-5)
        assert got['max_entropy'] == pytest.approx(math.log(bins))
        assert got['mass_3sigma'] == pytest.approx(mass, rel=1e-5)
    assert s['x']['peak'] == pytest.approx(0.133, abs=5e-4)
    assert s['x']['peak_floor'] == pytest.approx(3.78, abs=0.01)
    assert (round(s['y']['entropy'], 2), round(s['y']['max_entropy'], 2)) == (5.51, 5.55)
    assert (round(s['x']['entropy'], 2), round(s['x']['max_entropy'], 2)) == (5.21, 5.26)
    assert s['y']['mass_3sigma'] == pytest.approx(0.13, abs=0.005)
    assert all(is_flat(v) for v in s.values())


def test_the_paired_recipes_are_peaked():
    rtm = effective_target(dict(CODEC, normalize=False), OLD_LOSS)
    stock = effective_target(CODEC, STOCK_LOSS)
    for axis in 'xy':
        assert rtm[axis]['peak_floor'] == pytest.approx(math.exp(10.0), rel=1e-4)
        assert rtm[axis]['mass_3sigma'] > 0.99
        # a discretised Gaussian: entropy ~ 0.5 log(2 pi e sigma^2) = 2.52 nats
        assert stock[axis]['entropy'] == pytest.approx(0.5 * math.log(2 * math.pi * math.e * 9),
                                                       abs=0.01)
        assert stock[axis]['peak_floor'] == math.inf  # the float32 tails underflow to 0
        assert not is_flat(rtm[axis]) and not is_flat(stock[axis])
    assert stock['y']['entropy_ratio'] < 0.5 < MAX_ENTROPY_RATIO


@pytest.mark.parametrize('normalize', [True, False])
def test_the_target_is_mmposes_codec_output(normalize):
    codec = SimCCLabel(input_size=(96, 128), sigma=(3.0, 2.5), simcc_split_ratio=2.0,
                       normalize=normalize)
    enc = codec.encode(np.array([[[48.0, 64.0]]]))
    np.testing.assert_array_equal(simcc_target(192, 3.0, normalize), enc['keypoint_x_labels'][0, 0])
    np.testing.assert_array_equal(simcc_target(256, 2.5, normalize), enc['keypoint_y_labels'][0, 0])


@pytest.mark.parametrize('loss_type', [KLDiscretLoss, EBAKLDiscretLoss])
@pytest.mark.parametrize('normalize,loss', [(True, OLD_LOSS), (False, OLD_LOSS),
                                            (True, STOCK_LOSS)])
def test_the_distribution_is_what_the_loss_compares_with(loss_type, normalize, loss):
    """Logits with softmax(beta * logits) equal to the computed distribution give KL 0; a
    sharper prediction does not."""
    kwargs = {k: v for k, v in loss.items() if k != 'type'}
    crit = loss_type(**kwargs)
    t = torch.from_numpy(simcc_target(192, 3.0, normalize))[None]
    s = effective_target(dict(CODEC, normalize=normalize), loss)['x']
    q = torch.softmax(10.0 * t, 1) if kwargs.get('label_softmax') else t / t.sum()
    logits = torch.log(q.clamp_min(1e-30)) / kwargs['beta']
    assert float(crit.criterion(logits, t)) < 1e-5 * (1 if normalize else float(t.sum()))
    assert float(crit.criterion(logits * 2, t)) > 1e-4
    ent = -(q[q > 0] * q[q > 0].log()).sum()
    assert float(ent) == pytest.approx(s['entropy'], rel=1e-4)


def _with_codec(cfg: Config, **changes) -> Config:
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'GenerateTarget':
            step.encoder.update(changes)
    return cfg


def test_the_old_demo_pairing_is_flagged_with_numbers_and_fix():
    cfg = _with_codec(Config.fromfile(DEMO), normalize=True)
    cfg.model.head.loss = dict(OLD_LOSS)
    (line, ) = check_targets(cfg)
    for fact in ('label_softmax=True', 'normalize=True', 'nearly flat', 'peak/floor 3.78',
                 'entropy 5.51 of 5.55 nats (0.99)', '13 % of the mass',
                 'set normalize=False in train_dataloader.dataset.pipeline[5].encoder',
                 'drop label_softmax and use beta=1.0', 'about 0.13 above the background'):
        assert fact in line, (fact, line)


@pytest.mark.parametrize('change,fix', [
    (dict(loss=dict(label_beta=1.0)), 'raise model.head.loss label_beta (now 1)'),
    (dict(loss=dict(label_softmax=False, beta=1.0), codec=dict(normalize=True, sigma=(40., 40.))),
     'make the sigma of train_dataloader'),
])
def test_other_flat_pairings_are_flagged(change, fix):
    cfg = _with_codec(Config.fromfile(DEMO), **change.get('codec', {}))
    cfg.model.head.loss.update(change['loss'])
    (line, ) = check_targets(cfg)
    assert 'nearly flat' in line and fix in line


def test_other_codecs_and_losses_are_left_alone():
    assert effective_target(dict(type='MSRAHeatmap', input_size=(96, 128)), OLD_LOSS) is None
    assert effective_target(CODEC, dict(type='SmoothL1Loss')) is None
    assert effective_target(dict(CODEC, smoothing_type='standard'), OLD_LOSS) is None
    assert check_targets(Config(dict(model=dict(head=dict(loss=[OLD_LOSS]))))) == []


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_no_shipped_config_trains_on_flat_targets(config):
    assert check_targets(Config.fromfile(config)) == []


def test_check_dataset_reports_it(run_script, tmp_path):
    """tools/check_dataset.py on the worked custom config (normalised targets) given the old
    demo's label softmax: exit 1, the numbers and the fix on stderr (the shipped config passes:
    tests/tools/test_check_dataset.py)."""
    from eba_tools.synthetic_squares import generate_synthetic_squares
    root = str(tmp_path / 'data') + '/'
    generate_synthetic_squares(root, num_train=2, num_val=1, progress=False)
    custom = osp.join(REPO, 'configs', 'custom', 'simcc_eba-res18-mlp_1xb16-30e_squares5-96x96.py')
    args = [custom, '--no-decode', '--no-build', '--cfg-options'] + [
        f'{loader}_dataloader.dataset.data_root={root}' for loader in ('train', 'val', 'test')]
    code, _, err = run_script('check_dataset.py', args + [
        'model.head.loss.label_softmax=True', 'model.head.loss.beta=10.0'])
    assert code == 1 and 'nearly flat' in err and 'set normalize=False' in err, err
    assert 'peak/floor 3.17' in err  # sigma sqrt(96 / 8) = 3.46 bins: exp(10 / (3.46 sqrt(2 pi)))
