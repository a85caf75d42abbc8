"""Bridge attention (BA-Net, Zhao et al. ECCV 2022) with the EBA-PRNetCC generation activation."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.model import BaseModule
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

# norms that take the (N, C) squeezed vectors: 'BN1d', 'SyncBN', 'LN', 'GN'
VECTOR_NORMS = (nn.BatchNorm1d, nn.SyncBatchNorm, nn.LayerNorm, nn.GroupNorm)


class BridgeAttention(BaseModule):
    """Channel attention fed by several feature maps of a block (paper §3.2, eq. 1-3, Alg. 2).

    A pluggable attention layer in the manner of squeeze-and-excitation: ``channels`` first,
    applied to a block's last feature map before the residual add. Every bridged map ``F_i``
    (``C_i`` channels) is squeezed, the squeezed vectors are summed, and the sum generates the
    weights of the last map::

        S_i = norm_i(W_i · GAP(F_i))         # eq. 1, W_i: Linear(C_i -> C // r)
        w   = sigmoid(W_e · act(sum_i S_i))  # eq. 2-3, W_e: Linear(C // r -> C), no bias
        out = F_last * w

    With one bridged map it is squeeze-and-excitation with a norm in the squeeze. A training
    batch of one sample has no batch statistics for a ``BatchNorm1d`` (PyTorch raises); it is
    normalised with the running statistics, as in evaluation.

    Args:
        channels (int): Channels ``C`` of the re-weighted (last) feature map.
        in_channels (Sequence[int], optional): Channels of every bridged map, in the order
            :meth:`forward` gets them; the last is the re-weighted map. Defaults to
            ``(channels, )`` (squeeze-and-excitation).
        reduction (int): Reduction ratio ``r``, in ``[1, channels]``. Defaults to 16 (BA-Net).
        act_cfg (dict): Activation of the generation step. Defaults to ``dict(type='Mish')``
            (the paper; BA-Net uses ReLU).
        norm_cfg (dict, optional): Norm of each squeezed (N, C // r) vector: a norm that
            takes 2D input, ``BN1d``, ``SyncBN``, ``LN`` or ``GN``; ``BN`` (MMCV's
            ``BatchNorm2d``), ``BN2d``/``BN3d`` and instance norms are rejected at build time.
            Defaults to ``dict(type='BN1d')``; ``None`` drops it (the squeeze ``Linear`` then
            has a bias).
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to None.

    Raises:
        TypeError: if ``reduction`` is not an int.
        ValueError: for ``in_channels[-1] != channels``, a ``reduction`` outside
            ``[1, channels]`` and a ``norm_cfg`` whose layer does not take 2D input.
    """

    def __init__(self,
                 channels: int,
                 in_channels: Optional[Sequence[int]] = None,
                 reduction: int = 16,
                 act_cfg: ConfigType = dict(type='Mish'),
                 norm_cfg: OptConfigType = dict(type='BN1d'),
                 init_cfg: OptMultiConfig = None):
        super().__init__(init_cfg=init_cfg)
        in_channels = list(in_channels or [channels])
        if in_channels[-1] != channels:
            raise ValueError(f'in_channels[-1] must be channels ({channels}): the last bridged '
                             f'map is the one re-weighted; got in_channels={in_channels}')
        if isinstance(reduction, bool) or not isinstance(reduction, int):
            raise TypeError(f'reduction must be an int, got {reduction!r}')
        if not 1 <= reduction <= channels:
            raise ValueError(f'reduction must be in [1, channels={channels}], got {reduction}')
        self.in_channels = in_channels
        mid = channels // reduction
        norms = [[build_norm_layer(norm_cfg, mid)[1]] if norm_cfg else [] for _ in in_channels]
        if norm_cfg and not isinstance(norms[0][0], VECTOR_NORMS):
            raise ValueError(
                f'norm_cfg (EBAResNet: attention_norm_cfg) normalises the squeezed (N, C) '
                f'vectors: use type BN1d, SyncBN, LN or GN (or None), not '
                f'{norm_cfg["type"]!r} ({type(norms[0][0]).__name__})')
        self.squeeze = nn.ModuleList(
            nn.Sequential(nn.Linear(c, mid, bias=norm_cfg is None), *norm)
            for c, norm in zip(in_channels, norms))
        self.act = build_activation_layer(act_cfg)
        self.excite = nn.Linear(mid, channels, bias=False)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Return ``feats[-1]`` re-weighted channel-wise by the attention of all ``feats``."""
        integrated = 0
        for squeeze, feat in zip(self.squeeze, feats, strict=True):
            s = squeeze[0](feat.mean(dim=(2, 3)))
            if len(squeeze) > 1:
                s = self._norm(squeeze[1], s)
            integrated = integrated + s
        w = torch.sigmoid(self.excite(self.act(integrated)))
        return feats[-1] * w[:, :, None, None]

    def _norm(self, norm: nn.Module, x: Tensor) -> Tensor:
        if self.training and x.size(0) == 1 and isinstance(norm, _BatchNorm):
            return F.batch_norm(x, norm.running_mean, norm.running_var, norm.weight, norm.bias,
                                training=False, eps=norm.eps)
        return norm(x)
