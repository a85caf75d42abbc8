"""The paper's KL discrete loss (eq. 4-5), next to MMPose's ``KLDiscretLoss``."""
from typing import Optional, Sequence

from mmpose.models.losses import KLDiscretLoss
from mmpose.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class EBAKLDiscretLoss(KLDiscretLoss):
    """KL divergence between predicted and target SimCC distributions, eq. 4-5 of the paper.

    For joint ``k`` of instance ``n``, with ``KL(p || q) = sum_bins p (log p - log q)``::

        loss[n, k] = W[n, k] * (KL(gt_x || softmax(o_x)) + KL(gt_y || softmax(o_y)))   # eq. 4
        loss       = loss_weight * mean_{n, k} loss[n, k]                              # eq. 5

    i.e. a true KL per axis (summed over bins) and a mean over joints and instances, so the
    value does not grow with the batch size. MMPose's :class:`KLDiscretLoss` instead averages
    over bins and sums over instances: for ``Bx = By = B`` bins per axis and ``N`` instances,
    ``KLDiscretLoss = N / B * EBAKLDiscretLoss`` (tested in ``tests/models/losses``).

    Args:
        beta (float): Temperature applied to the predictions before the log-softmax.
            Defaults to 1.0.
        label_softmax (bool): Pass the targets through ``softmax(label_beta * gt)`` first.
            Defaults to False.
        label_beta (float): Temperature of the label softmax. Defaults to 10.0.
        use_target_weight (bool): Weight each joint by the codec's keypoint weight ``W``
            (eq. 4). Defaults to True.
        mask (Sequence[int], optional): Joint indices whose loss is scaled by ``mask_weight``.
        mask_weight (float): Scale of the masked joints. Defaults to 1.0.
        loss_weight (float): Overall loss scale. Defaults to 1.0.
    """

    def __init__(self,
                 beta: float = 1.0,
                 label_softmax: bool = False,
                 label_beta: float = 10.0,
                 use_target_weight: bool = True,
                 mask: Optional[Sequence[int]] = None,
                 mask_weight: float = 1.0,
                 loss_weight: float = 1.0):
        super().__init__(beta=beta, label_softmax=label_softmax, label_beta=label_beta,
                         use_target_weight=use_target_weight, mask=mask,
                         mask_weight=mask_weight)
        self.loss_weight = loss_weight

    def criterion(self, dec_outs: Tensor, labels: Tensor) -> Tensor:
        """KL divergence per row of ``(M, bins)`` logits and targets, summed over bins."""
        return super().criterion(dec_outs, labels) * dec_outs.size(1)

    def forward(self, pred_simcc: Sequence[Tensor], gt_simcc: Sequence[Tensor],
                target_weight: Optional[Tensor] = None) -> Tensor:
        """Loss of ``(pred_x, pred_y)`` logits against ``(gt_x, gt_y)`` targets.

        Args:
            pred_simcc (Sequence[Tensor]): Predicted logits, each of shape (N, K, bins).
            gt_simcc (Sequence[Tensor]): Target distributions of the same shapes.
            target_weight (Tensor, optional): Joint weights ``W`` of shape (N, K); required
                when ``use_target_weight`` is True.

        Returns:
            Tensor: Scalar loss.
        """
        N, K, _ = pred_simcc[0].shape
        per_joint = 0
        for axis, pred, target in zip('xy', pred_simcc, gt_simcc):
            self._check_shapes(axis, pred, target)
            per_joint = per_joint + self.criterion(
                pred.reshape(N * K, -1), target.reshape(N * K, -1)).reshape(N, K)
        if self.use_target_weight:
            if target_weight is None:
                raise ValueError('EBAKLDiscretLoss: use_target_weight=True needs target_weight.')
            per_joint = per_joint * target_weight.reshape(N, K)
        if self.mask is not None:
            per_joint[:, self.mask] = per_joint[:, self.mask] * self.mask_weight
        return self.loss_weight * per_joint.mean()

    @staticmethod
    def _check_shapes(axis: str, pred: Tensor, target: Tensor) -> None:
        """Name the setting behind a prediction/target shape mismatch.

        Shapes are (N, K, bins): K is the head's ``out_channels`` against the dataset's keypoint
        count (its metainfo), bins is the head's ``input_size x simcc_split_ratio`` against the
        codec's.
        """
        if pred.shape == target.shape:
            return
        shapes = f'{axis} logits {tuple(pred.shape)}, targets {tuple(target.shape)}'
        if pred.dim() != 3 or target.dim() != 3 or pred.shape[0] != target.shape[0]:
            raise ValueError(f'EBAKLDiscretLoss: expected (N, K, bins) logits and targets of the '
                             f'same shape, got {shapes}.')
        if pred.shape[1] != target.shape[1]:
            raise ValueError(
                f'EBAKLDiscretLoss: the head predicts {pred.shape[1]} keypoints '
                f'(model.head.out_channels={pred.shape[1]}) but the dataset has '
                f'{target.shape[1]} keypoints per instance ({shapes}). Set '
                f'model.head.out_channels={target.shape[1]}, and give the dataset the metainfo '
                f'of its {target.shape[1]} keypoints (see docs/custom_dataset.md).')
        side = 'W' if axis == 'x' else 'H'
        raise ValueError(
            f'EBAKLDiscretLoss: the head gives {pred.shape[2]} {axis} bins but the codec\'s '
            f'targets have {target.shape[2]} ({shapes}). Bins are input {side} x '
            f'simcc_split_ratio: the head (input_size, simcc_split_ratio) and the codec '
            f'(SimCCLabel input_size, simcc_split_ratio) must agree.')
