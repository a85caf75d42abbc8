import math

import pytest
import torch
from mmpose.models.losses import KLDiscretLoss
from mmpose.registry import MODELS

from eba_prnetcc_mmpose.models.losses import EBAKLDiscretLoss


def test_hand_computed_value():
    # one instance, one joint, two bins per axis
    pred_x = torch.tensor([[[0.0, math.log(3.0)]]])  # softmax -> [1/4, 3/4]
    pred_y = torch.tensor([[[0.0, 0.0]]])            # softmax -> [1/2, 1/2]
    gt_x = torch.tensor([[[0.5, 0.5]]])
    gt_y = torch.tensor([[[1.0, 0.0]]])               # 0 * log 0 = 0
    w = torch.tensor([[0.5]])
    kl_x = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    kl_y = 1.0 * math.log(1.0 / 0.5)
    loss = EBAKLDiscretLoss()((pred_x, pred_y), (gt_x, gt_y), w)
    assert loss.item() == pytest.approx(0.5 * (kl_x + kl_y), rel=1e-6)


def random_inputs(n=3, k=5, bins=(12, 12), seed=0):
    g = torch.Generator().manual_seed(seed)
    preds = tuple(torch.randn(n, k, b, generator=g) for b in bins)
    gts = tuple(torch.rand(n, k, b, generator=g).softmax(-1) for b in bins)
    w = torch.rand(n, k, generator=g)
    return preds, gts, w


def test_mean_over_joints_is_independent_of_batch_size():
    preds, gts, w = random_inputs()
    loss = EBAKLDiscretLoss()(preds, gts, w)
    doubled = EBAKLDiscretLoss()(tuple(torch.cat([p, p]) for p in preds),
                                 tuple(torch.cat([g, g]) for g in gts), torch.cat([w, w]))
    torch.testing.assert_close(loss, doubled)
    per_joint = [EBAKLDiscretLoss()(tuple(p[:, j:j + 1] for p in preds),
                                    tuple(g[:, j:j + 1] for g in gts), w[:, j:j + 1])
                 for j in range(5)]
    torch.testing.assert_close(loss, torch.stack(per_joint).mean())  # eq. 5


@pytest.mark.parametrize('use_target_weight', [True, False])
@pytest.mark.parametrize('label_softmax,beta', [(False, 1.0), (True, 10.0)])
def test_relation_to_mmpose_kldiscretloss(use_target_weight, label_softmax, beta):
    """MMPose's loss averages over bins and sums over instances: stock = N / B * ours."""
    n, bins = 4, 24
    preds, gts, w = random_inputs(n=n, bins=(bins, bins))
    kw = dict(use_target_weight=use_target_weight, label_softmax=label_softmax, beta=beta)
    ours = EBAKLDiscretLoss(**kw)(preds, gts, w)
    stock = KLDiscretLoss(**kw)(preds, gts, w)
    torch.testing.assert_close(stock, ours * n / bins)


def test_gradient_is_softmax_minus_target():
    preds, gts, w = random_inputs(n=2, k=3, bins=(7, 9))
    preds = tuple(p.requires_grad_() for p in preds)
    EBAKLDiscretLoss(loss_weight=2.0)(preds, gts, w).backward()
    for p, g in zip(preds, gts):
        expected = 2.0 * w[..., None] * (p.detach().softmax(-1) - g) / (2 * 3)
        torch.testing.assert_close(p.grad, expected)


def test_zero_at_the_target_and_non_negative():
    _, gts, w = random_inputs()
    assert EBAKLDiscretLoss()(tuple(g.log() for g in gts), gts, w).abs().item() < 1e-6
    preds, gts, w = random_inputs(seed=1)
    assert EBAKLDiscretLoss()(preds, gts, w).item() > 0


def test_registered_without_clobbering_mmpose():
    assert MODELS.get('KLDiscretLoss') is KLDiscretLoss
    assert isinstance(MODELS.build(dict(type='EBAKLDiscretLoss')), EBAKLDiscretLoss)


@pytest.mark.parametrize('cut,match', [
    # 17 keypoints predicted, 5 in the data: names out_channels and the dataset's count
    (lambda t: t[:, :5], r'the head predicts 17 keypoints \(model\.head\.out_channels=17\) '
                         r'but the dataset has 5 keypoints per instance .*'
                         r'Set model\.head\.out_channels=5'),
    # 12 bins predicted, 10 in the targets: names the head and the codec
    (lambda t: t[..., :10], r"the head gives 12 x bins but the codec's targets have 10 "
                            r'\(x logits \(3, 17, 12\), targets \(3, 17, 10\)\)\. Bins are input W '
                            r'x simcc_split_ratio.*must agree'),
])
def test_shape_mismatch_names_the_setting(cut, match):
    preds, gts, w = random_inputs(k=17, bins=(12, 12))
    with pytest.raises(ValueError, match=match):
        EBAKLDiscretLoss()(preds, (cut(gts[0]), gts[1]), w)


def test_missing_target_weight():
    preds, gts, w = random_inputs(bins=(12, 12))
    with pytest.raises(ValueError, match='needs target_weight'):
        EBAKLDiscretLoss()(preds, gts, None)
