"""Bridge attention (BA-Net, Zhao et al. ECCV 2022) with the EBA-PRNetCC generation activation."""
from typing import List, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.model import BaseModule
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm


class BridgeAttention(BaseModule):
    """Channel attention fed by several feature maps of a block (paper §3.2, eq. 1-3, Alg. 2).

    Every bridged feature map ``F_i`` (``C_i`` channels) is squeezed to ``channels // reduction``::

        S_i = BN_i(W_i · GAP(F_i))          # eq. 1, W_i: Linear(C_i -> C/r, no bias)
        I   = sum_i S_i                     # eq. 2
        w   = sigmoid(W_g · act(I))         # eq. 3, W_g: Linear(C/r -> C, no bias)

    and :meth:`forward` returns the last feature map scaled by ``w``. With a single bridged map
    this is squeeze-and-excitation (with a BN in the squeeze), which makes the bridge's effect an
    ablation away.

    A training batch of one sample has no batch statistics for the BN of eq. 1 (PyTorch raises);
    such a batch (e.g. the last, incomplete batch of an epoch) is normalised with the running
    statistics instead, as in evaluation, and does not update them.

    Args:
        channels (int): Channels ``C`` of the feature map being re-weighted (the last input).
        in_channels (Sequence[int]): Channels ``C_i`` of every bridged feature map, in the order
            they are passed to :meth:`forward`; the last one must equal ``channels``.
        reduction (int): Reduction ratio ``r`` of the squeeze. Defaults to 16 (BA-Net).
        min_channels (int): Lower bound of the squeezed width ``C // r``. Defaults to 1
            (BA-Net: no bound).
        act_cfg (dict): Generation activation. Defaults to ``dict(type='Mish')`` (EBA; BA-Net uses
            ReLU).
        norm_cfg (dict, optional): Normalisation of each squeezed vector. Defaults to
            ``dict(type='BN1d')``; ``None`` drops it.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 channels: int,
                 in_channels: Sequence[int],
                 reduction: int = 16,
                 min_channels: int = 1,
                 act_cfg: ConfigType = dict(type='Mish'),
                 norm_cfg: OptConfigType = dict(type='BN1d'),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        in_channels = list(in_channels)
        if not in_channels:
            raise ValueError('BridgeAttention needs at least one bridged feature map, '
                             'got in_channels=[]')
        if in_channels[-1] != channels:
            raise ValueError(f'BridgeAttention re-weights its last input, so in_channels[-1] '
                             f'({in_channels[-1]}) must equal channels ({channels}).')
        if reduction < 1:
            raise ValueError(f'reduction must be >= 1, got {reduction}')
        self.channels = channels
        self.in_channels = in_channels
        self.reduction = reduction
        squeezed = max(channels // reduction, min_channels)
        self.squeezed_channels = squeezed

        def squeeze(c: int) -> nn.Module:
            layers: List[nn.Module] = [nn.Linear(c, squeezed, bias=norm_cfg is None)]
            if norm_cfg is not None:
                layers.append(build_norm_layer(norm_cfg, squeezed)[1])
            return nn.Sequential(*layers)

        self.squeeze = nn.ModuleList(squeeze(c) for c in in_channels)
        self.act = build_activation_layer(act_cfg)
        self.excite = nn.Linear(squeezed, channels, bias=False)

    def weights(self, feats: Sequence[Tensor]) -> Tensor:
        """Attention weights ``w`` in (0, 1), shape (N, C, 1, 1), from the bridged maps."""
        if len(feats) != len(self.squeeze):
            raise ValueError(f'BridgeAttention was built for {len(self.squeeze)} bridged feature '
                             f'maps but got {len(feats)}.')
        integrated = sum(self._squeeze(sq, f.mean(dim=(2, 3))) for sq, f in zip(self.squeeze, feats))
        w = torch.sigmoid(self.excite(self.act(integrated)))
        return w[:, :, None, None]

    def _squeeze(self, squeeze: nn.Sequential, x: Tensor) -> Tensor:
        if not (self.training and x.size(0) == 1 and len(squeeze) == 2
                and isinstance(squeeze[1], _BatchNorm)):
            return squeeze(x)
        bn = squeeze[1]  # batch of one: running statistics, no update
        return F.batch_norm(squeeze[0](x), bn.running_mean, bn.running_var, bn.weight, bn.bias,
                            training=False, eps=bn.eps)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Return ``feats[-1]`` re-weighted channel-wise by the bridge attention."""
        return feats[-1] * self.weights(feats)
