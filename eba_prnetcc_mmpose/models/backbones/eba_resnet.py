"""EBA-ResNet: MMPose's ResNet with bridge attention in every residual block (paper §3.1-3.2)."""
from typing import Optional

import torch.utils.checkpoint as cp
from mmcv.cnn import build_activation_layer
from mmpose.models.backbones.resnet import BasicBlock, Bottleneck, ResLayer, ResNet
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType
from torch import Tensor, nn

from ..layers import BridgeAttention


class _BridgedBlock:
    """Adds :class:`BridgeAttention` to an MMPose ResNet block (mixed in before the block).

    The stock ``__init__`` builds ``conv{i}``/``norm{i}``/``downsample``; the attention is fed
    with the outputs of the block's convolutions (after their norm and, except for the last, the
    activation) and re-weights the last one before the residual add, as in BA-Net.

    Args:
        *args, **kwargs: Arguments of the stock block, in its order (``in_channels``,
            ``out_channels``, ``expansion``, ``stride`` ...). The arguments below are
            keyword-only, so positional arguments mean what they mean to the stock block.
        attention_cfg (dict, optional): Arguments of :class:`BridgeAttention` other than the
            channels (``reduction``, ``act_cfg``, ``norm_cfg``). Defaults to its defaults.
        num_bridged (int, optional): How many of the block's conv outputs, counted from the
            last, feed the attention (the paper's ``q``); ``None``: all, 1: squeeze-and-excitation.
        act_cfg (dict): Activation of the block. Defaults to ReLU, as the stock block.

    Raises:
        TypeError: if ``num_bridged`` is neither None nor an int.
        ValueError: if ``num_bridged`` is not in ``[1, num_convs]``.
    """

    num_convs: int

    def __init__(self, *args, attention_cfg: OptConfigType = None,
                 num_bridged: Optional[int] = None,
                 act_cfg: ConfigType = dict(type='ReLU', inplace=True), **kwargs):
        super().__init__(*args, **kwargs)
        if num_bridged is None:
            num_bridged = self.num_convs
        elif isinstance(num_bridged, bool) or not isinstance(num_bridged, int):
            raise TypeError(f'num_bridged must be an int or None (all convs), got '
                            f'{num_bridged!r}')
        elif not 1 <= num_bridged <= self.num_convs:
            raise ValueError(f'num_bridged must be None (all convs) or an int in '
                             f'[1, {self.num_convs}] ({type(self).__name__} has '
                             f'{self.num_convs} convs), got {num_bridged}')
        widths = [self.mid_channels] * (self.num_convs - 1) + [self.out_channels]
        self.num_bridged = num_bridged
        self.attention = BridgeAttention(self.out_channels, widths[-num_bridged:],
                                         **(attention_cfg or {}))
        self.relu = build_activation_layer(act_cfg)  # the stock name, so ResNet weights map

    def _residual(self, x: Tensor) -> Tensor:
        feats = []
        out = x
        for i in range(1, self.num_convs + 1):
            out = getattr(self, f'norm{i}')(getattr(self, f'conv{i}')(out))
            if i < self.num_convs:
                out = self.relu(out)
            feats.append(out)
        identity = x if self.downsample is None else self.downsample(x)
        return self.attention(feats[-self.num_bridged:]) + identity

    def forward(self, x: Tensor) -> Tensor:
        """Residual branch re-weighted by the attention, identity add, activation."""
        if self.with_cp and x.requires_grad:
            return self.relu(cp.checkpoint(self._residual, x, use_reentrant=False))
        return self.relu(self._residual(x))


class EBABasicBlock(_BridgedBlock, BasicBlock):
    """MMPose's ``BasicBlock`` with bridge attention over its two conv outputs (see
    :class:`_BridgedBlock` for the extra arguments)."""

    num_convs = 2


class EBABottleneck(_BridgedBlock, Bottleneck):
    """MMPose's ``Bottleneck`` with bridge attention over its three conv outputs (see
    :class:`_BridgedBlock` for the extra arguments)."""

    num_convs = 3


@MODELS.register_module()
class EBAResNet(ResNet):
    """ResNet with bridge attention in every residual block, EBA-PRNetCC's backbone.

    MMPose's :class:`~mmpose.models.backbones.ResNet` with :class:`EBABasicBlock` /
    :class:`EBABottleneck` (as ``SEResNet`` adds SE blocks): stem, stages, ``out_indices``,
    ``frozen_stages``, ``norm_eval``, ``with_cp``, the checks and the error types are ResNet's.
    The state-dict keys of the trunk are ResNet's (and torchvision's), so
    ``init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet34')`` loads ImageNet
    weights, and ``prefix='backbone.'`` the trunk of an MMPose model checkpoint; MMEngine
    reports the attention parameters as missing keys (they keep their initialisation).

    Args:
        depth (int): 18, 34, 50, 101 or 152.
        *args, **kwargs: The other arguments of MMPose's ``ResNet``, in its order
            (``in_channels``, ``stem_channels``, ``base_channels`` ... ``out_indices``,
            ``frozen_stages``, ``norm_eval``, ``with_cp``, ``init_cfg``). The arguments below
            are keyword-only, so ``EBAResNet(18, 1)`` is ``ResNet(18, 1)`` (``in_channels=1``).
        reduction (int): Reduction ratio ``r`` of the attention, at most the width of the
            first stage's blocks (``base_channels * expansion``). Defaults to 16.
        attention_act_cfg (dict): Activation of the attention's generation step (paper: Mish,
            BA-Net: ReLU). Defaults to ``dict(type='Mish')``.
        attention_norm_cfg (dict, optional): Norm of each squeezed (N, C) vector (eq. 1's BN):
            ``BN1d``, ``SyncBN``, ``LN`` or ``GN`` (not ``BN``, a ``BatchNorm2d``); ``None``
            for none. Defaults to ``dict(type='BN1d')``.
        num_bridged (int, optional): Conv outputs of each block that feed its attention (the
            paper's ``q``), in ``[1, convs per block]``; ``None``: all of them, 1:
            squeeze-and-excitation. Defaults to None.
        act_cfg (dict): Activation of the stem and every block. Defaults to Mish (the paper);
            ``dict(type='ReLU', inplace=True)`` keeps ImageNet weights' meaning.

    Raises:
        TypeError: for a ``reduction`` or ``num_bridged`` that is not an int.
        ValueError: for a ``reduction`` outside ``[1, base_channels * expansion]``, a
            ``num_bridged`` outside ``[1, convs per block]``, an ``attention_norm_cfg`` that
            cannot normalise a vector; ``ResNet``'s own checks raise what ``ResNet`` raises.
    """

    arch_settings = {
        18: (EBABasicBlock, (2, 2, 2, 2)),
        34: (EBABasicBlock, (3, 4, 6, 3)),
        50: (EBABottleneck, (3, 4, 6, 3)),
        101: (EBABottleneck, (3, 4, 23, 3)),
        152: (EBABottleneck, (3, 8, 36, 3)),
    }

    def __init__(self,
                 depth: int,
                 *args,
                 reduction: int = 16,
                 attention_act_cfg: ConfigType = dict(type='Mish'),
                 attention_norm_cfg: OptConfigType = dict(type='BN1d'),
                 num_bridged: Optional[int] = None,
                 act_cfg: ConfigType = dict(type='Mish'),
                 **kwargs):
        # read by make_res_layer inside ResNet.__init__, so set first (as SEResNet's se_ratio)
        self.block_cfg = dict(
            attention_cfg=dict(reduction=reduction, act_cfg=attention_act_cfg,
                               norm_cfg=attention_norm_cfg),
            num_bridged=num_bridged, act_cfg=act_cfg)
        super().__init__(depth, *args, **kwargs)
        if self.deep_stem:
            for conv_module in self.stem:
                conv_module.activate = build_activation_layer(act_cfg)
            self._freeze_stages()  # a frozen stem's new activations in eval mode, as ResNet's
        else:
            self.relu = build_activation_layer(act_cfg)

    def make_res_layer(self, **kwargs) -> nn.Module:
        """A stage of EBA blocks: MMPose's ``ResLayer`` with the attention settings."""
        reduction, channels = self.block_cfg['attention_cfg']['reduction'], kwargs['out_channels']
        # called first for the first (narrowest) stage; a non-int is BridgeAttention's TypeError
        if isinstance(reduction, int) and not 1 <= reduction <= channels:
            raise ValueError(
                f'EBAResNet(reduction={reduction}) must be in [1, {channels}]: the first '
                f'stage\'s attention squeezes base_channels ({self.base_channels}) * expansion '
                f'({self.expansion}) = {channels} channels by it; lower reduction or raise '
                f'base_channels')
        return ResLayer(**self.block_cfg, **kwargs)
