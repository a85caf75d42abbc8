"""EBA-ResNet: MMPose's ResNet with bridge attention in every residual block (paper §3.1-3.2)."""
import copy
import re
from typing import Dict, List, Optional, Sequence, Tuple

import torch.utils.checkpoint as cp
from mmcv.cnn import build_activation_layer
from mmengine.logging import print_log
from mmpose.models.backbones.resnet import BasicBlock, Bottleneck, ResNet
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType
from torch import Tensor, nn

from ..layers import BridgeAttention
from ..pretrained import read_state_dict


class UnknownDepthError(KeyError, ValueError):
    """An unsupported ``depth``: a ``KeyError`` as MMPose's ``ResNet`` raises (code written
    against ResNet's ``except KeyError`` keeps working), and a ``ValueError`` as before, with a
    readable message (``KeyError`` would print it quoted)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ''


class _BridgedBlockMixin:
    """Forward pass shared by the EBA blocks.

    The stock block's layers (``conv{i}``, ``norm{i}``, ``downsample``) are built by the stock
    ``__init__``; this mixin adds ``attention`` and routes the outputs of the block's convolutions
    (after their norm and, except for the last, the activation) into it. The re-weighted last
    output is added to the identity and activated, as in BA-Net.
    """

    num_convs: int

    def _add_bridge_attention(self, attention_cfg: ConfigType, act_cfg: ConfigType) -> None:
        cfg = copy.deepcopy(dict(attention_cfg))
        num_bridged = cfg.pop('num_bridged', None) or self.num_convs
        if not 1 <= num_bridged <= self.num_convs:
            raise ValueError(f'num_bridged must be in [1, {self.num_convs}] for '
                             f'{type(self).__name__}, got {num_bridged}')
        widths = [self.mid_channels] * (self.num_convs - 1) + [self.out_channels]
        self.num_bridged = num_bridged
        self.attention = BridgeAttention(self.out_channels, widths[-num_bridged:], **cfg)
        # The trunk activation keeps the stock attribute name so torchvision/MMPose weights map.
        self.relu = build_activation_layer(act_cfg)

    def _conv_stages(self) -> List[Tuple[nn.Module, nn.Module]]:
        return [(getattr(self, f'conv{i}'), getattr(self, f'norm{i}'))
                for i in range(1, self.num_convs + 1)]

    def _residual(self, x: Tensor) -> Tensor:
        stages = self._conv_stages()
        feats = []
        out = x
        for i, (conv, norm) in enumerate(stages):
            out = norm(conv(out))
            if i < len(stages) - 1:
                out = self.relu(out)
            feats.append(out)
        out = self.attention(feats[-self.num_bridged:])
        identity = x if self.downsample is None else self.downsample(x)
        return out + identity

    def forward(self, x: Tensor) -> Tensor:
        """Residual branch with bridge attention, identity add, activation."""
        if self.with_cp and x.requires_grad:
            out = cp.checkpoint(self._residual, x, use_reentrant=False)
        else:
            out = self._residual(x)
        return self.relu(out)


class EBABasicBlock(_BridgedBlockMixin, BasicBlock):
    """MMPose ``BasicBlock`` with bridge attention over its two conv outputs.

    Args:
        *args, **kwargs: Arguments of MMPose's ``BasicBlock`` (``in_channels``,
            ``out_channels``, ``stride``, ``downsample``, ``with_cp`` ...), same meaning and
            same checks.
        attention_cfg (dict, optional): Keyword arguments of :class:`BridgeAttention`
            (``reduction``, ``act_cfg``, ``norm_cfg``, ``min_channels``) plus ``num_bridged``,
            the number of the block's conv outputs fed to the attention (``None``: all of them).
            Defaults to ``None`` (BridgeAttention's defaults, all outputs bridged).
        act_cfg (dict): Trunk activation of the block. Defaults to ReLU, as the stock block.
    """

    num_convs = 2

    def __init__(self, *args, attention_cfg: OptConfigType = None,
                 act_cfg: ConfigType = dict(type='ReLU', inplace=True), **kwargs):
        super().__init__(*args, **kwargs)
        self._add_bridge_attention(attention_cfg or {}, act_cfg)


class EBABottleneck(_BridgedBlockMixin, Bottleneck):
    """MMPose ``Bottleneck`` with bridge attention over its three conv outputs.

    Args: as :class:`EBABasicBlock`, with MMPose ``Bottleneck`` arguments (``expansion``,
    ``style`` ...).
    """

    num_convs = 3

    def __init__(self, *args, attention_cfg: OptConfigType = None,
                 act_cfg: ConfigType = dict(type='ReLU', inplace=True), **kwargs):
        super().__init__(*args, **kwargs)
        self._add_bridge_attention(attention_cfg or {}, act_cfg)


@MODELS.register_module()
class EBAResNet(ResNet):
    """ResNet with (efficient) bridge attention in every residual block, EBA-PRNetCC's backbone.

    A subclass of MMPose's :class:`~mmpose.models.backbones.ResNet`: stem, stages,
    ``out_indices``, ``frozen_stages``, ``norm_eval`` and ``with_cp`` behave as there. Every block
    gets a :class:`~eba_prnetcc_mmpose.models.layers.BridgeAttention` fed by its own conv outputs
    and applied before the residual add.

    Args:
        depth (int): 18, 34, 50, 101 or 152.
        reduction (int): Reduction ratio ``r`` of the attention squeeze. Defaults to 16.
        attention_act_cfg (dict): Activation of the attention generation step (paper: Mish,
            BA-Net: ReLU). Defaults to ``dict(type='Mish')``.
        attention_norm_cfg (dict, optional): Norm of each squeezed vector (eq. 1's BN).
            Defaults to ``dict(type='BN1d')``.
        num_bridged (int, optional): How many conv outputs of each block feed its attention
            (the paper's ``q``); ``None`` bridges all of them, 1 reduces to SE attention.
        act_cfg (dict): Trunk activation, in the stem and every block. The paper uses Mish
            (default); ``dict(type='ReLU', inplace=True)`` matches ImageNet-trained weights exactly.
        **kwargs: Any other argument of MMPose's ``ResNet`` (``out_indices``, ``frozen_stages``,
            ``norm_eval``, ``with_cp``, ``init_cfg`` ...).

    ``init_cfg=dict(type='Pretrained', checkpoint=...)`` loads a torchvision- or MMPose-layout
    ResNet checkpoint of the same depth into the trunk; with ``prefix='backbone.'`` the trunk of
    a whole MMPose model checkpoint (SimCC, SimpleBaseline ...); see :meth:`load_pretrained`.

    Raises:
        UnknownDepthError: an unsupported ``depth``; a ``KeyError`` as MMPose's ``ResNet``
            raises, and a ``ValueError``.
        AssertionError: for the same arguments as MMPose's ``ResNet`` (``num_stages``,
            ``strides``/``dilations`` lengths, ``style``, ``out_indices``).
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
                 attention_norm_cfg: Optional[ConfigType] = dict(type='BN1d'),
                 num_bridged: Optional[int] = None,
                 act_cfg: ConfigType = dict(type='Mish'),
                 **kwargs):
        if depth not in self.arch_settings:
            raise UnknownDepthError(f'EBAResNet: unknown depth {depth!r}; supported depths are '
                                    f'{sorted(self.arch_settings)}.')
        # Read by make_res_layer during ResNet.__init__, so set first (as MMPose's SEResNet does).
        self.attention_cfg = dict(reduction=reduction, act_cfg=attention_act_cfg,
                                  norm_cfg=attention_norm_cfg, num_bridged=num_bridged)
        self.act_cfg = act_cfg
        super().__init__(depth, **kwargs)
        if self.deep_stem:
            for conv_module in self.stem:
                conv_module.activate = build_activation_layer(act_cfg)
        else:
            self.relu = build_activation_layer(act_cfg)

    def make_res_layer(self, **kwargs) -> nn.Module:
        """Make a stage of EBA blocks (MMPose's ``ResLayer`` with attention arguments)."""
        return super().make_res_layer(
            attention_cfg=self.attention_cfg, act_cfg=self.act_cfg, **kwargs)

    # ------------------------------------------------------------------ pretrained weights
    def init_weights(self) -> None:
        """Initialise weights; a ``Pretrained`` init_cfg goes through :meth:`load_pretrained`."""
        cfgs = self.init_cfg if isinstance(self.init_cfg, list) else [self.init_cfg]
        pretrained = [c for c in cfgs if isinstance(c, dict) and c.get('type') == 'Pretrained']
        if not pretrained:
            return super().init_weights()
        original = self.init_cfg
        self.init_cfg = [c for c in cfgs if c not in pretrained] or None
        try:
            super().init_weights()
        finally:
            self.init_cfg = original
        cfg = pretrained[-1]
        self.load_pretrained(cfg['checkpoint'], prefix=cfg.get('prefix'),
                             map_location=cfg.get('map_location', 'cpu'))

    def load_pretrained(self, checkpoint: str, prefix: Optional[str] = None,
                        map_location: str = 'cpu') -> Dict[str, List[str]]:
        """Load ResNet trunk weights (torchvision or MMPose key layout) into this backbone.

        Attention parameters absent from the checkpoint keep their initialisation and are
        reported in one log line; keys the backbone does not have (e.g. torchvision's ``fc``
        classifier) are ignored and counted. A checkpoint of another depth raises.

        Args:
            checkpoint (str): Path or URL understood by MMEngine's ``CheckpointLoader``.
            prefix (str, optional): Key prefix to select and strip, e.g. ``'backbone.'`` for a
                whole MMPose model checkpoint.
            map_location (str): Device to map tensors to. Defaults to 'cpu'.

        Returns:
            dict: ``loaded``, ``new`` (initialised here) and ``ignored`` key lists.

        Raises:
            FileNotFoundError, ConnectionError, RuntimeError: see
                :func:`~eba_prnetcc_mmpose.models.pretrained.read_state_dict` (missing file,
                failed download, damaged file).
            ValueError: the checkpoint's trunk is of another depth, or has no ResNet keys.
        """
        state = read_state_dict(checkpoint, f'EBAResNet-{self.depth}', prefix=prefix,
                                map_location=map_location, init_cfg_path='model.backbone.init_cfg')
        own = self.state_dict()
        trunk = [k for k in own if '.attention.' not in k]
        missing = [k for k in trunk if k not in state]
        mismatched = [k for k in trunk
                      if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
        if missing or mismatched:
            raise ValueError(self._explain_mismatch(checkpoint, state, missing, mismatched))
        loadable = {k: v for k, v in state.items() if k in own}
        self.load_state_dict(loadable, strict=False)
        new = [k for k in own if k not in loadable]
        ignored = [k for k in state if k not in own]
        n_new = sum(own[k].numel() for k in new if not k.endswith('num_batches_tracked'))
        ignored_roots = sorted({k.split('.')[0] for k in ignored})
        print_log(
            f'EBAResNet-{self.depth}: loaded {len(loadable)} tensors from {checkpoint}; '
            f'{len(new)} bridge-attention tensors ({n_new / 1e6:.3f} M values) are newly '
            f'initialised; ignored {len(ignored)} checkpoint keys not in the backbone'
            + (f' ({", ".join(ignored_roots)})' if ignored_roots else '') + '.',
            logger='current')
        return dict(loaded=list(loadable), new=new, ignored=ignored)

    def _explain_mismatch(self, checkpoint: str, state: Dict, missing: Sequence[str],
                          mismatched: Sequence[str]) -> str:
        blocks = [0, 0, 0, 0]
        for key in state:
            m = re.match(r'layer([1-4])\.(\d+)\.', key)
            if m:
                stage = int(m.group(1)) - 1
                blocks[stage] = max(blocks[stage], int(m.group(2)) + 1)
        is_bottleneck = any(re.match(r'layer1\.0\.conv3\.', k) for k in state)
        found = [d for d, (block, counts) in self.arch_settings.items()
                 if tuple(counts) == tuple(blocks)
                 and (block is EBABottleneck) == is_bottleneck]
        expected = self.arch_settings[self.depth][1]
        if found:
            what = f'a ResNet-{found[0]} trunk'
            fix = (f'Use a ResNet-{self.depth} checkpoint, or set depth={found[0]} to match '
                   f'this one.')
        elif any(blocks):
            what = f'a network with {blocks} blocks per stage'
            fix = f'Use a ResNet-{self.depth} checkpoint.'
        else:
            what = ('no ResNet trunk keys (expected e.g. "layer1.0.conv1.weight"; first keys: '
                    f'{list(state)[:3]})')
            fix = ("If the weights sit under a prefix (e.g. a whole pose model), set "
                   "prefix='backbone.' in the Pretrained init_cfg.")
        detail = (f'{len(missing)} trunk tensors missing (e.g. {missing[:2]})' if missing
                  else f'{len(mismatched)} tensors of another shape (e.g. {mismatched[:2]})')
        return (f'EBAResNet-{self.depth} (blocks per stage {list(expected)}) cannot load '
                f'{checkpoint!r}: it holds {what}; {detail}. {fix}')
