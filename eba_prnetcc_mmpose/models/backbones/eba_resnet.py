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
        *args, **kwargs: Arguments of the stock block (``in_channels``, ``out_channels``,
            ``stride``, ``downsample``, ``with_cp`` ...).
        attention_cfg (dict, optional): Arguments of :class:`BridgeAttention` other than the
            channels (``reduction``, ``act_cfg``, ``norm_cfg``). Defaults to its defaults.
        num_bridged (int, optional): How many of the block's conv outputs, counted from the
            last, feed the attention (the paper's ``q``); ``None``: all, 1: squeeze-and-excitation.
        act_cfg (dict): Activation of the block. Defaults to ReLU, as the stock block.
    """

    num_convs: int

    def __init__(self, *args, attention_cfg: OptConfigType = None,
                 num_bridged: Optional[int] = None,
                 act_cfg: ConfigType = dict(type='ReLU', inplace=True), **kwargs):
        super().__init__(*args, **kwargs)
        num_bridged = num_bridged or self.num_convs
        if not 1 <= num_bridged <= self.num_convs:
            raise ValueError(f'num_bridged must be in [1, {self.num_convs}] for '
                             f'{type(self).__name__}, got {num_bridged}')
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
        reduction (int): Reduction ratio ``r`` of the attention. Defaults to 16.
        attention_act_cfg (dict): Activation of the attention's generation step (paper: Mish,
            BA-Net: ReLU). Defaults to ``dict(type='Mish')``.
        attention_norm_cfg (dict, optional): Norm of each squeezed vector (eq. 1's BN).
            Defaults to ``dict(type='BN1d')``.
        num_bridged (int, optional): Conv outputs of each block that feed its attention (the
            paper's ``q``); ``None``: all of them, 1: squeeze-and-excitation. Defaults to None.
        act_cfg (dict): Activation of the stem and every block. Defaults to Mish (the paper);
            ``dict(type='ReLU', inplace=True)`` keeps ImageNet weights' meaning.
        **kwargs: Other arguments of MMPose's ``ResNet`` (``out_indices``, ``frozen_stages``,
            ``norm_eval``, ``with_cp``, ``init_cfg`` ...).
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
        super().__init__(depth, **kwargs)
        if self.deep_stem:
            for conv_module in self.stem:
                conv_module.activate = build_activation_layer(act_cfg)
        else:
            self.relu = build_activation_layer(act_cfg)

    def make_res_layer(self, **kwargs) -> nn.Module:
        """A stage of EBA blocks: MMPose's ``ResLayer`` with the attention settings."""
        return ResLayer(**self.block_cfg, **kwargs)
