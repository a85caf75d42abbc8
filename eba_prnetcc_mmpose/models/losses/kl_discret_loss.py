"""The paper's KL discrete loss (eq. 4-5), next to MMPose's ``KLDiscretLoss``."""
import math
from numbers import Real
from typing import Optional, Sequence

from mmpose.models.losses import KLDiscretLoss
from mmpose.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class EBAKLDiscretLoss(KLDiscretLoss):
    """KL divergence between predicted and target SimCC distributions, eq. 4-5 of the paper.

    For joint ``k`` of instance ``n``, with ``KL(p || q)`` reduced over the bins by
    ``bin_reduction`` (``'sum'``: the true KL; ``'mean'``: divided by the number of bins)::

        # eq. 4
        loss[n, k] = W[n, k] * (a_x KL(gt_x || softmax(o_x)) + a_y KL(gt_y || softmax(o_y)))
        loss       = loss_weight * mean_{n, k} loss[n, k]                              # eq. 5

    The mean over instances and joints keeps the value independent of the batch size.
    ``bin_reduction='mean'`` is the reference SimCC loss the paper paraphrases (§3.4: PyTorch's
    ``KLDivLoss`` with ``reduction='none'``, averaged); MMPose's :class:`KLDiscretLoss` also
    averages over bins but sums over instances, so it equals ``N`` times this loss for ``N``
    instances (``N / B`` times with ``'sum'`` and ``B`` bins per axis).

    The two readings also weight the axes differently when they have different bin counts
    ``B_x != B_y``: ``'sum'`` weights x:y as 1:1, ``'mean'`` as ``1/B_x : 1/B_y``.
    ``axis_weights = (a_x, a_y)`` (default ``(1, 1)``, eq. 4 as written) re-weights them, e.g.
    ``'mean'`` with ``(2 B_x, 2 B_y) / (B_x + B_y)`` has the x:y weighting of ``'sum'`` at the
    scale of ``'mean'`` (the ablation's x:y step, docs/ablation.md).

    Args:
        beta (float): Temperature of the predictions' softmax. Defaults to 1.0.
        label_softmax (bool): Pass the targets through ``softmax(label_beta * gt)`` first.
            Defaults to False.
        label_beta (float): Temperature of the label softmax. Defaults to 10.0.
        use_target_weight (bool): Weight each joint by the codec's keypoint weight ``W``
            (eq. 4). Defaults to True.
        mask (Sequence[int], optional): Joint indices whose loss is scaled by ``mask_weight``.
        mask_weight (float): Scale of the masked joints. Defaults to 1.0.
        loss_weight (float): Overall loss scale. Defaults to 1.0.
        bin_reduction (str): ``'sum'`` or ``'mean'`` of the KL terms over the bins.
            Defaults to ``'sum'``.
        axis_weights (Sequence[float]): ``(a_x, a_y)``, the weights of the x and y terms:
            finite, non-negative, not both 0. Defaults to ``(1.0, 1.0)``.

    Raises:
        TypeError: if ``axis_weights`` is not a sequence of numbers.
        ValueError: for a ``bin_reduction`` other than ``'sum'`` / ``'mean'``, and
            ``axis_weights`` that are not two finite non-negative numbers, not both 0.
    """

    def __init__(self,
                 beta: float = 1.0,
                 label_softmax: bool = False,
                 label_beta: float = 10.0,
                 use_target_weight: bool = True,
                 mask: Optional[Sequence[int]] = None,
                 mask_weight: float = 1.0,
                 loss_weight: float = 1.0,
                 bin_reduction: str = 'sum',
                 axis_weights: Sequence[float] = (1.0, 1.0)):
        if bin_reduction not in ('sum', 'mean'):
            raise ValueError(f"bin_reduction must be 'sum' or 'mean', got {bin_reduction!r}")
        if not isinstance(axis_weights, Sequence) or isinstance(axis_weights, str) or not all(
                isinstance(a, Real) and not isinstance(a, bool) for a in axis_weights):
            raise TypeError(f'axis_weights must be a sequence of two numbers (a_x, a_y), got '
                            f'{axis_weights!r}')
        if len(axis_weights) != 2 or not all(math.isfinite(a) and a >= 0
                                             for a in axis_weights) or not any(axis_weights):
            raise ValueError(f'axis_weights must be two finite non-negative numbers (a_x, a_y), '
                             f'not both 0; got {axis_weights!r}')
        super().__init__(beta=beta, label_softmax=label_softmax, label_beta=label_beta,
                         use_target_weight=use_target_weight, mask=mask,
                         mask_weight=mask_weight)
        self.loss_weight = loss_weight
        self.bin_reduction = bin_reduction
        self.axis_weights = tuple(float(a) for a in axis_weights)

    def criterion(self, dec_outs: Tensor, labels: Tensor) -> Tensor:
        """KL divergence of each row of ``(M, bins)`` logits and targets, reduced over bins."""
        loss = super().criterion(dec_outs, labels)  # mean over bins
        return loss * dec_outs.size(1) if self.bin_reduction == 'sum' else loss

    def forward(self, pred_simcc: Sequence[Tensor], gt_simcc: Sequence[Tensor],
                target_weight: Optional[Tensor] = None) -> Tensor:
        """Loss of ``(pred_x, pred_y)`` logits against ``(gt_x, gt_y)`` targets.

        Args:
            pred_simcc (Sequence[Tensor]): Predicted logits, each of shape (N, K, bins).
            gt_simcc (Sequence[Tensor]): Target distributions of the same shapes.
            target_weight (Tensor, optional): Joint weights ``W`` of shape (N, K); needed
                with ``use_target_weight``.

        Returns:
            Tensor: Scalar loss.
        """
        N, K, _ = pred_simcc[0].shape
        loss = sum(a * self.criterion(p.reshape(N * K, -1), g.reshape(N * K, -1)).reshape(N, K)
                   for a, p, g in zip(self.axis_weights, pred_simcc, gt_simcc))
        if self.use_target_weight:
            if target_weight is None:
                raise ValueError('use_target_weight=True needs target_weight')
            loss = loss * target_weight.reshape(N, K)
        if self.mask is not None:
            loss[:, self.mask] = loss[:, self.mask] * self.mask_weight
        return self.loss_weight * loss.mean()
