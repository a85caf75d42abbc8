import math

import pytest
import torch
from mmpose.models.losses import KLDiscretLoss
from mmpose.registry import MODELS

from eba_prnetcc_mmpose.models.losses import EBAKLDiscretLoss


def hand_computed(bin_reduction):
    """One instance, one joint, two bins per axis, joint weight 0.5."""
    kl_x = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)  # gt [.5, .5], pred [.25, .75]
    kl_y = 1.0 * math.log(1.0 / 0.5) + 0.0                           # gt [1, 0], pred [.5, .5]
    if bin_reduction == 'mean':
        kl_x, kl_y = kl_x / 2, kl_y / 2
    return 0.5 * (kl_x + kl_y)


@pytest.mark.parametrize('bin_reduction', ['sum', 'mean'])
def test_hand_computed_value(bin_reduction):
    pred = (torch.tensor([[[0.0, math.log(3.0)]]]), torch.tensor([[[0.0, 0.0]]]))
    gt = (torch.tensor([[[0.5, 0.5]]]), torch.tensor([[[1.0, 0.0]]]))
    loss = EBAKLDiscretLoss(bin_reduction=bin_reduction)(pred, gt, torch.tensor([[0.5]]))
    assert loss.item() == pytest.approx(hand_computed(bin_reduction), rel=1e-6)


def test_default_is_the_summed_kl():
    assert EBAKLDiscretLoss().bin_reduction == 'sum'


def random_inputs(n=3, k=5, bins=(12, 16), seed=0):
    g = torch.Generator().manual_seed(seed)
    preds = tuple(torch.randn(n, k, b, generator=g) for b in bins)
    gts = tuple(torch.rand(n, k, b, generator=g).softmax(-1) for b in bins)
    return preds, gts, torch.rand(n, k, generator=g)


def test_mean_and_sum_differ_by_the_number_of_bins():
    preds, gts, w = random_inputs(bins=(24, 24))
    torch.testing.assert_close(EBAKLDiscretLoss(bin_reduction='sum')(preds, gts, w),
                               24 * EBAKLDiscretLoss(bin_reduction='mean')(preds, gts, w))


@pytest.mark.parametrize('bin_reduction', ['sum', 'mean'])
def test_mean_over_joints_and_instances(bin_reduction):
    """Eq. 5: the mean of the per-joint losses; doubling the batch changes nothing."""
    loss_fn = EBAKLDiscretLoss(bin_reduction=bin_reduction)
    preds, gts, w = random_inputs()
    loss = loss_fn(preds, gts, w)
    per_joint = [loss_fn(tuple(p[:, j:j + 1] for p in preds), tuple(g[:, j:j + 1] for g in gts),
                         w[:, j:j + 1]) for j in range(5)]
    torch.testing.assert_close(loss, torch.stack(per_joint).mean())
    doubled = loss_fn(tuple(torch.cat([p, p]) for p in preds),
                      tuple(torch.cat([g, g]) for g in gts), torch.cat([w, w]))
    torch.testing.assert_close(loss, doubled)


@pytest.mark.parametrize('bin_reduction,factor', [('mean', lambda n, b: n),
                                                  ('sum', lambda n, b: n / b)])
@pytest.mark.parametrize('use_target_weight', [True, False])
@pytest.mark.parametrize('label_softmax,beta,mask', [(False, 1.0, None), (True, 10.0, [1, 3])])
def test_relation_to_mmpose_kldiscretloss(bin_reduction, factor, use_target_weight,
                                          label_softmax, beta, mask):
    """MMPose's loss averages over bins and sums over instances: N (or N / B) times ours."""
    n, bins = 4, 24
    preds, gts, w = random_inputs(n=n, bins=(bins, bins))
    kw = dict(use_target_weight=use_target_weight, label_softmax=label_softmax, beta=beta,
              mask=mask, mask_weight=2.0)
    ours = EBAKLDiscretLoss(bin_reduction=bin_reduction, **kw)(preds, gts, w)
    stock = KLDiscretLoss(**kw)(preds, gts, w)
    torch.testing.assert_close(stock, ours * factor(n, bins))


@pytest.mark.parametrize('bin_reduction', ['sum', 'mean'])
def test_gradient_is_softmax_minus_target(bin_reduction):
    n, k, bins = 2, 3, (7, 9)
    preds, gts, w = random_inputs(n=n, k=k, bins=bins)
    preds = tuple(p.requires_grad_() for p in preds)
    EBAKLDiscretLoss(loss_weight=2.0, bin_reduction=bin_reduction)(preds, gts, w).backward()
    for p, g, b in zip(preds, gts, bins):
        expected = 2.0 * w[..., None] * (p.detach().softmax(-1) - g) / (n * k)
        torch.testing.assert_close(p.grad, expected / (b if bin_reduction == 'mean' else 1))


def test_zero_at_the_target():
    _, gts, w = random_inputs()
    assert EBAKLDiscretLoss()(tuple(g.log() for g in gts), gts, w).abs().item() < 1e-6


def test_registered_without_clobbering_mmpose():
    assert MODELS.get('KLDiscretLoss') is KLDiscretLoss
    loss = MODELS.build(dict(type='EBAKLDiscretLoss', bin_reduction='mean'))
    assert isinstance(loss, EBAKLDiscretLoss) and loss.bin_reduction == 'mean'


def test_bad_bin_reduction_names_the_setting():
    with pytest.raises(ValueError, match='bin_reduction'):
        EBAKLDiscretLoss(bin_reduction='none')


def test_missing_target_weight_names_the_setting():
    preds, gts, _ = random_inputs()
    with pytest.raises(ValueError, match='use_target_weight'):
        EBAKLDiscretLoss()(preds, gts, None)
    assert EBAKLDiscretLoss(use_target_weight=False)(preds, gts, None) > 0


@pytest.mark.parametrize('bin_reduction', ['sum', 'mean'])
def test_axis_weights_hand_computed(bin_reduction):
    """loss = W * (a_x KL_x + a_y KL_y), with the hand-computed KL terms of hand_computed()."""
    kl_x = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)  # 0.143841...
    kl_y = math.log(2.0)                                               # 0.693147...
    if bin_reduction == 'mean':
        kl_x, kl_y = kl_x / 2, kl_y / 2
    pred = (torch.tensor([[[0.0, math.log(3.0)]]]), torch.tensor([[[0.0, 0.0]]]))
    gt = (torch.tensor([[[0.5, 0.5]]]), torch.tensor([[[1.0, 0.0]]]))
    loss = EBAKLDiscretLoss(bin_reduction=bin_reduction, axis_weights=(0.25, 3.0))(
        pred, gt, torch.tensor([[0.5]]))
    assert loss.item() == pytest.approx(0.5 * (0.25 * kl_x + 3.0 * kl_y), rel=1e-6)
    assert 0.5 * (0.25 * 0.143841 + 3.0 * 0.693147) == pytest.approx(
        loss.item() * (2 if bin_reduction == 'mean' else 1), rel=1e-5)


def test_axis_weights_give_mean_the_xy_weighting_of_sum():
    """'mean' with (2 Bx, 2 By) / (Bx + By) is 'sum' scaled by 2 / (Bx + By)."""
    bx, by = 12, 16
    preds, gts, w = random_inputs(bins=(bx, by))
    reweighted = EBAKLDiscretLoss(bin_reduction='mean',
                                  axis_weights=(2 * bx / (bx + by), 2 * by / (bx + by)))
    torch.testing.assert_close(reweighted(preds, gts, w),
                               2 / (bx + by) * EBAKLDiscretLoss(bin_reduction='sum')(preds, gts, w))


@pytest.mark.parametrize('weights,expected', [
    ((1.0, 1.0), (1.0, 1.0)), ([0, 2], (0.0, 2.0)), ((3, 0.0), (3.0, 0.0))])
def test_axis_weights_are_kept_as_floats(weights, expected):
    assert EBAKLDiscretLoss(axis_weights=weights).axis_weights == expected


def test_default_axis_weights():
    assert EBAKLDiscretLoss().axis_weights == (1.0, 1.0)


@pytest.mark.parametrize('bad,error', [
    ((1.0, ), ValueError), ((1, 2, 3), ValueError), ((1.0, -1.0), ValueError),
    ((1, float('nan')), ValueError), ((float('inf'), 1), ValueError), ((0, 0), ValueError),
    (None, TypeError), (1.0, TypeError), ('11', TypeError), ((1, None), TypeError),
    ((True, 1), TypeError), (('1', '1'), TypeError)])
def test_bad_axis_weights_name_the_setting(bad, error):
    with pytest.raises(error, match='axis_weights must be .*two .*numbers'):
        EBAKLDiscretLoss(axis_weights=bad)
