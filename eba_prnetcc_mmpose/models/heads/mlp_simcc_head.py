"""MLP-Mish SimCC head (paper §3.3, Fig. 2-3): a drop-in for MMPose's ``SimCCHead``."""
import math
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.logging import print_log
from mmpose.models.heads import SimCCHead
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType
from torch import Tensor, nn

from ..pretrained import read_state_dict

OptIntSeq = Optional[Sequence[int]]

#: Backbone strides the construction-time size check tries (1 ... 64).
_STRIDES = tuple(2**i for i in range(7))


class FeatureMapMismatchError(ValueError, RuntimeError):
    """The backbone's feature map does not match the head's ``in_channels`` /
    ``in_featuremap_size``. A ``RuntimeError`` as the convolution or ``Linear`` of a stock
    ``SimCCHead`` raises for it, and a ``ValueError`` as our other configuration errors."""


@MODELS.register_module()
class MLPSimCCHead(SimCCHead):
    """SimCC head whose per-axis classifier is an MLP (Linear-Mish-Linear) and whose deconvolution
    stack uses Mish: EBA-PRNetCC's head, and a drop-in for MMPose's :class:`SimCCHead`.

    Built by :class:`SimCCHead`'s own constructor (its ``HeatmapHead`` / ``ViPNASHead``
    deconvolution head, its checks, its module and state-dict layout); then the activations
    (and norms) of the deconvolution and intermediate conv layers are replaced by ``act_cfg``
    (and ``norm_cfg``), and each per-axis ``Linear`` by an MLP of ``num_mlp_layers`` layers.
    ``predict`` (flip test, ``output_heatmaps``) and ``loss`` are :class:`SimCCHead`'s. With
    ``num_mlp_layers=1`` and ``act_cfg=dict(type='ReLU')`` it is :class:`SimCCHead`: the same
    modules, state-dict keys and outputs.

    Args:
        in_channels (int): Channels of the backbone's last feature map.
        out_channels (int): Number of keypoints K.
        input_size (tuple[int, int]): Model input (W, H), as the codec's ``input_size``.
        in_featuremap_size (tuple[int, int]): (W, H) of the backbone's last feature map,
            ``ceil(input_size / stride)``, e.g. ``input_size // 32`` for ResNet when the sides
            are multiples of 32.
        simcc_split_ratio (float): Bins per pixel. Defaults to 2.0.
        deconv_type (str): ``'heatmap'`` (deconvolutions of ``HeatmapHead``, as SimpleBaseline)
            or ``'vipnas'`` (grouped deconvolutions of ``ViPNASHead``; as in ``SimCCHead`` they
            use that head's default 4x4 kernels). Defaults to ``'heatmap'``.
        deconv_out_channels (Sequence[int], optional): Channels of each deconvolution;
            ``None`` or ``()`` for none. Defaults to (256, 256, 256).
        deconv_kernel_sizes (Sequence[int], optional): Kernel of each deconvolution (4, 3 or 2).
            Defaults to (4, 4, 4).
        deconv_num_groups (Sequence[int], optional): Groups of each deconvolution
            (``'vipnas'`` only). Defaults to (16, 16, 16).
        conv_out_channels (Sequence[int], optional): Channels of intermediate convolutions
            after the deconvolutions (with deconvolutions only, as in ``SimCCHead``).
            Defaults to None.
        conv_kernel_sizes (Sequence[int], optional): Their kernel sizes. Defaults to None.
        final_layer (dict, optional): Arguments of the 1x1 conv to K channels; ``None`` skips it.
            Defaults to ``dict(kernel_size=1)``.
        loss (dict): Loss config. Defaults to the paper's ``EBAKLDiscretLoss``.
        decoder (dict, optional): Codec config (``SimCCLabel``) used to decode predictions;
            must agree with ``input_size`` and ``simcc_split_ratio``.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to
            ``SimCCHead``'s. A ``dict(type='Pretrained', checkpoint=..., prefix='head.')``
            entry loads a stock SimCC / SimpleBaseline head into the deconvolutions and final
            layer (see :meth:`load_pretrained`); everything else still gets the default init.
        num_mlp_layers (int): Linear layers per axis; 1 is a single-layer perceptron (SLP, stock
            SimCC). Defaults to 2.
        mlp_hidden_channels (int): Width of the hidden MLP layers. Defaults to 256.
        mlp_act_cfg (dict): Activation between MLP layers. Defaults to Mish.
        act_cfg (dict, optional): Activation after each (de)convolution (stock: ReLU; ``None``:
            none). Defaults to Mish.
        norm_cfg (dict, optional): Norm after each (de)convolution (``None``: none).
            Defaults to ``dict(type='BN')``, the stock ``BatchNorm2d``.

    Raises:
        ValueError: for the arguments ``SimCCHead`` rejects (``deconv_type``, lengths of the
            deconv / conv settings, kernel sizes; MMPose's message plus the fix), and when
            ``input_size``, ``in_featuremap_size`` and the codec do not fit together (the
            numbers and the fix).
        FeatureMapMismatchError: at forward, a feature map whose channels or size differ from
            ``in_channels`` / ``in_featuremap_size`` (a ``ValueError`` and a ``RuntimeError``).
    """

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 out_channels: int,
                 input_size: Tuple[int, int],
                 in_featuremap_size: Tuple[int, int],
                 simcc_split_ratio: float = 2.0,
                 deconv_type: str = 'heatmap',
                 deconv_out_channels: OptIntSeq = (256, 256, 256),
                 deconv_kernel_sizes: OptIntSeq = (4, 4, 4),
                 deconv_num_groups: OptIntSeq = (16, 16, 16),
                 conv_out_channels: OptIntSeq = None,
                 conv_kernel_sizes: OptIntSeq = None,
                 final_layer: OptConfigType = dict(kernel_size=1),
                 loss: ConfigType = dict(type='EBAKLDiscretLoss', use_target_weight=True),
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None,
                 *,
                 num_mlp_layers: int = 2,
                 mlp_hidden_channels: int = 256,
                 mlp_act_cfg: ConfigType = dict(type='Mish'),
                 act_cfg: OptConfigType = dict(type='Mish'),
                 norm_cfg: OptConfigType = dict(type='BN')):
        name = type(self).__name__
        if not isinstance(num_mlp_layers, int) or num_mlp_layers < 1:
            raise ValueError(f'{name}: num_mlp_layers must be an integer >= 1 (1 = one Linear '
                             f'per axis as in SimCCHead), got {num_mlp_layers!r}.')
        for what, size in (('input_size', input_size),
                           ('in_featuremap_size', in_featuremap_size)):
            if len(size) != 2 or min(size) <= 0:
                raise ValueError(f'{name}: {what} must be a positive (W, H) pair, got {size}.')
        try:
            super().__init__(
                in_channels, out_channels, input_size, in_featuremap_size,
                simcc_split_ratio=simcc_split_ratio, deconv_type=deconv_type,
                deconv_out_channels=deconv_out_channels,
                deconv_kernel_sizes=deconv_kernel_sizes, deconv_num_groups=deconv_num_groups,
                conv_out_channels=conv_out_channels, conv_kernel_sizes=conv_kernel_sizes,
                final_layer=final_layer, loss=loss, decoder=decoder, init_cfg=init_cfg)
        except ValueError as e:
            raise ValueError(f'{name}: {e}{self._hint(str(e))}') from e
        self.input_size = tuple(input_size)
        self.in_featuremap_size = tuple(in_featuremap_size)
        self.num_mlp_layers = num_mlp_layers
        self._check_featuremap_size()
        self._check_codec()

        if self.deconv_head is not None:
            for layers in (self.deconv_head.deconv_layers, self.deconv_head.conv_layers):
                self._replace_act_and_norm(layers, act_cfg, norm_cfg)
        if num_mlp_layers > 1:
            self.mlp_head_x = _mlp(self.mlp_head_x, num_mlp_layers, mlp_hidden_channels,
                                   mlp_act_cfg)
            self.mlp_head_y = _mlp(self.mlp_head_y, num_mlp_layers, mlp_hidden_channels,
                                   mlp_act_cfg)
        # checkpoints of this head before it was built through SimCCHead, and SimpleBaseline
        # (HeatmapHead) heads, use another key layout: rename their keys on load
        self._register_load_state_dict_pre_hook(self._remap_legacy_keys)

    # ------------------------------------------------------------------ construction
    @staticmethod
    def _hint(message: str) -> str:
        """The fix for a ``ValueError`` of ``SimCCHead``'s constructor, by its message."""
        if 'mismatched lengths' in message or 'unmatched values' in message:
            return ('. Give one entry per layer in each pair, e.g. '
                    'deconv_kernel_sizes=(4, ) * len(deconv_out_channels).')
        if 'Unsupported kernel size' in message:
            return '. Deconvolution kernel sizes must be 4, 3 or 2 (stride-2 upsampling).'
        if 'deconv_type' in message:
            return ". Set deconv_type='heatmap' or 'vipnas'."
        if 'divisible by groups' in message:
            return '. Each deconv_num_groups entry must divide the layer\'s in and out channels.'
        return ''

    @staticmethod
    def _replace_act_and_norm(layers: nn.Module, act_cfg: OptConfigType,
                              norm_cfg: OptConfigType) -> None:
        """Swap the stock ReLUs / BatchNorm2ds of ``layers`` (in place, same indices)."""
        if not isinstance(layers, nn.Sequential):
            return
        for i, module in enumerate(layers):
            if isinstance(module, nn.ReLU):
                layers[i] = build_activation_layer(act_cfg) if act_cfg else nn.Identity()
            elif isinstance(module, nn.BatchNorm2d):
                layers[i] = (build_norm_layer(norm_cfg, module.num_features)[1]
                             if norm_cfg else nn.Identity())

    def _check_featuremap_size(self) -> None:
        """``in_featuremap_size`` must be what a backbone of some stride gives for
        ``input_size`` (``ceil(input / stride)`` per side)."""
        fits = [s for s in _STRIDES
                if all(f == math.ceil(i / s)
                       for i, f in zip(self.input_size, self.in_featuremap_size))]
        if fits:
            return
        w, h = self.input_size
        expected = (math.ceil(w / 32), math.ceil(h / 32))
        msg = (f'{type(self).__name__}: in_featuremap_size (W, H) = {self.in_featuremap_size} '
               f'does not tile input_size (W, H) = {self.input_size} for any backbone stride. '
               f'A stride-32 backbone such as ResNet gives a {expected[0]} x {expected[1]} '
               f'(W x H) map for this input: set in_featuremap_size={expected}.')
        odd = [(axis, side) for axis, side in (('W', w), ('H', h)) if side % 32]
        if odd:
            sides = ' and '.join(f'{axis} = {side}' for axis, side in odd)
            axis, side = odd[0]
            msg += (f' Note that {sides} {"is" if len(odd) == 1 else "are"} not a multiple of '
                    f'32 (the backbone stride): the backbone rounds {side} / 32 = '
                    f'{side / 32:g} up to {math.ceil(side / 32)}, so '
                    f"tuple(s // 32 for s in codec['input_size']) gives the wrong size. Use "
                    f'input sides that are multiples of 32 (e.g. input_size='
                    f'{tuple(max(32, round(s / 32) * 32) for s in self.input_size)}), or '
                    f"in_featuremap_size=tuple(math.ceil(s / 32) for s in codec['input_size']).")
        raise ValueError(msg)

    def _check_codec(self) -> None:
        codec = self.decoder
        if codec is None or not hasattr(codec, 'simcc_split_ratio'):
            return
        if (tuple(codec.input_size) != self.input_size
                or float(codec.simcc_split_ratio) != float(self.simcc_split_ratio)):
            raise ValueError(
                f'{type(self).__name__}: the codec ({type(codec).__name__}) has input_size '
                f'{tuple(codec.input_size)} and simcc_split_ratio {codec.simcc_split_ratio}, the '
                f'head input_size {self.input_size} and simcc_split_ratio '
                f'{self.simcc_split_ratio}. They must agree: set the head\'s '
                f"input_size=codec['input_size'] and "
                f"simcc_split_ratio=codec['simcc_split_ratio'].")

    # ------------------------------------------------------------------ forward
    def forward(self, feats: Tuple[Tensor]) -> Tuple[Tensor, Tensor]:
        """Return ``(pred_x, pred_y)`` logits of shapes (N, K, W*r) and (N, K, H*r).

        Raises:
            FeatureMapMismatchError: ``feats[-1]`` has other channels than ``in_channels`` or
                another size than ``in_featuremap_size``.
        """
        self._check_features(feats[-1])
        return super().forward(feats)

    def _check_features(self, x: Tensor) -> None:
        name = type(self).__name__
        channels = x.shape[1]
        if isinstance(self.in_channels, int) and channels != self.in_channels:
            raise FeatureMapMismatchError(
                f'{name}: the backbone\'s last feature map has {channels} channels but '
                f'in_channels={self.in_channels}. Set model.head.in_channels={channels}. '
                f'(A ResNet\'s last stage has base_channels x 8 x expansion channels: '
                + _resnet_channel_arithmetic(channels, self.in_channels) + ')')
        fw, fh = self.in_featuremap_size
        if tuple(x.shape[-2:]) != (fh, fw):
            raise FeatureMapMismatchError(
                f'{name}: expected a backbone feature map of W x H = {fw} x {fh} '
                f'(in_featuremap_size) but got {x.shape[-1]} x {x.shape[-2]}. The model input '
                f'and in_featuremap_size disagree: in_featuremap_size must be the input size '
                f'divided by the backbone stride (rounded up), e.g. '
                f"tuple(math.ceil(s / 32) for s in codec['input_size']) for ResNet, and the "
                f'images must reach the model at input_size={self.input_size} (W, H).')

    # ------------------------------------------------------------------ weights
    def init_weights(self) -> None:
        """Default (or configured) initialisation; a ``Pretrained`` entry of ``init_cfg`` is
        loaded afterwards by :meth:`load_pretrained` (one log line: loaded / new / ignored)."""
        cfgs = self.init_cfg if isinstance(self.init_cfg, list) else [self.init_cfg]
        pretrained = [c for c in cfgs if isinstance(c, dict) and c.get('type') == 'Pretrained']
        if not pretrained:
            return super().init_weights()
        original = self.init_cfg
        self.init_cfg = [c for c in cfgs if c not in pretrained] or self.default_init_cfg
        try:
            super().init_weights()
        finally:
            self.init_cfg = original
        cfg = pretrained[-1]
        self.load_pretrained(cfg['checkpoint'], prefix=cfg.get('prefix', 'head.'),
                             map_location=cfg.get('map_location', 'cpu'))

    def load_pretrained(self, checkpoint: str, prefix: Optional[str] = 'head.',
                        map_location: str = 'cpu') -> Dict[str, List[str]]:
        """Load the matching part of a pose model's head into this head.

        Accepts a whole MMPose model checkpoint (``prefix='head.'``) or a bare head state dict
        (``prefix=None``) of a stock ``SimCCHead`` (SimCC zoo), a ``HeatmapHead`` (SimpleBaseline
        zoo) or an earlier ``MLPSimCCHead``. Every tensor whose name and shape match is loaded
        (deconvolutions, their norms, intermediate convs, the final 1x1 conv, and the per-axis
        layers where they have the same shape, e.g. ``num_mlp_layers=1``); the rest keeps its
        initialisation. One log line says what was loaded, what is new and what was ignored.

        Args:
            checkpoint (str): Path or URL understood by MMEngine's ``CheckpointLoader``.
            prefix (str, optional): Key prefix of the head in the checkpoint.
                Defaults to ``'head.'``.
            map_location (str): Device to map tensors to. Defaults to 'cpu'.

        Returns:
            dict: ``loaded``, ``new`` (keeping their initialisation) and ``ignored`` key lists.

        Raises:
            ValueError: nothing in the checkpoint fits this head.
        """
        name = type(self).__name__
        state = read_state_dict(checkpoint, name, prefix=prefix, map_location=map_location,
                                init_cfg_path='model.head.init_cfg')
        state = self._remap(state)
        own = self.state_dict()
        loadable = {k: v for k, v in state.items()
                    if k in own and tuple(v.shape) == tuple(own[k].shape)}
        if not any(not k.endswith('num_batches_tracked') for k in loadable):
            raise ValueError(
                f'{name}: nothing in {checkpoint!r} (prefix {prefix!r}) fits this head: none of '
                f'its {len(state)} keys (e.g. {list(state)[:3]}) has a name and shape of the '
                f'head\'s (e.g. {list(own)[:3]}). A whole pose-model checkpoint needs '
                f"prefix='head.'; a SimCC / SimpleBaseline head of the same in_channels, "
                f'deconvolutions and keypoint count loads.')
        self.load_state_dict(loadable, strict=False)
        new = [k for k in own if k not in loadable]
        ignored = [k for k in state if k not in loadable]
        n_new = sum(own[k].numel() for k in new if not k.endswith('num_batches_tracked'))
        new_text = (f'{len(new)} tensors ({_summary(new)}; {n_new / 1e6:.3f} M values) are '
                    f'newly initialised' if new else 'nothing is newly initialised')
        ignored_text = (f'ignored {len(ignored)} checkpoint keys '
                        f'({_summary(ignored, own=own)})' if ignored else 'ignored nothing')
        print_log(f'{name}: loaded {len(loadable)} tensors ({_summary(loadable)}) from '
                  f'{checkpoint}; {new_text}; {ignored_text}.', logger='current')
        return dict(loaded=list(loadable), new=new, ignored=ignored)

    def _remap(self, state: Dict[str, Tensor], prefix: str = '') -> Dict[str, Tensor]:
        """Rename keys of an earlier MLPSimCCHead / a HeatmapHead to this head's layout.

        - ``deconv_layers.<i>.conv|bn.*`` (our ConvModule layout) ->
          ``deconv_head.deconv_layers.<3i|3i+1>.*``;
        - ``deconv_layers.*``, ``conv_layers.*`` (HeatmapHead) -> ``deconv_head.<same>``;
        - ``final_layer.*`` -> ``deconv_head.final_layer.*`` when the head has deconvolutions.
        """
        if self.deconv_head is None:
            return state
        out = {}
        for key, value in state.items():
            if key.startswith(prefix):
                local = key[len(prefix):]
                m = re.match(r'deconv_layers\.(\d+)\.(conv|bn)\.(.*)$', local)
                if m:
                    idx = 3 * int(m.group(1)) + (m.group(2) == 'bn')
                    local = f'deconv_head.deconv_layers.{idx}.{m.group(3)}'
                elif local.split('.')[0] in ('deconv_layers', 'conv_layers', 'final_layer'):
                    local = 'deconv_head.' + local
                key = prefix + local
            out[key] = value
        return out

    def _remap_legacy_keys(self, state_dict, prefix, *args, **kwargs) -> None:
        """``load_state_dict`` pre-hook: :meth:`_remap` in place (old checkpoints load)."""
        if any(k.startswith(prefix + p) for k in state_dict
               for p in ('deconv_layers.', 'conv_layers.', 'final_layer.')):
            remapped = self._remap({k: state_dict.pop(k) for k in list(state_dict)
                                    if k.startswith(prefix)}, prefix)
            state_dict.update(remapped)


def _mlp(linear: nn.Linear, num_layers: int, hidden: int, act_cfg: ConfigType) -> nn.Sequential:
    """``linear``'s in -> out dims as Linear-act-...-Linear with ``num_layers`` Linears."""
    layers: List[nn.Module] = []
    in_dims = linear.in_features
    for _ in range(num_layers - 1):
        layers += [nn.Linear(in_dims, hidden), build_activation_layer(act_cfg)]
        in_dims = hidden
    layers.append(nn.Linear(in_dims, linear.out_features))
    return nn.Sequential(*layers)


def _summary(keys, own=None, limit: int = 4) -> str:
    """Group keys by module (``deconv_head.deconv_layers.0``...) for a one-line report; with
    ``own`` (the head's state dict) say why each group was ignored."""
    names = list(dict.fromkeys(key.rsplit('.', 1)[0] for key in keys))
    if own is not None:
        names = [n + (' (shape differs)' if any(
            k.rsplit('.', 1)[0] == n and k in own for k in keys) else ' (not in this head)')
            for n in names]
    text = ', '.join(names[:limit])
    return text + (f' and {len(names) - limit} more' if len(names) > limit else '')


def _resnet_channel_arithmetic(channels: int, expected: int) -> str:
    """E.g. 'ResNet-18/34 with base_channels=32 gives 32 x 8 = 256, not 512; ...'."""
    parts = []
    for depths, expansion in (('ResNet-18/34', 1), ('ResNet-50/101/152', 4)):
        if channels % (8 * expansion) == 0:
            base = channels // (8 * expansion)
            arith = f'{base} x 8' + (f' x {expansion}' if expansion > 1 else '')
            parts.append(f'{depths} with base_channels={base} gives {arith} = {channels}')
    for depths, expansion in (('ResNet-18/34', 1), ('ResNet-50/101/152', 4)):
        if expected % (8 * expansion) == 0:
            base = expected // (8 * expansion)
            parts.append(f'in_channels={expected} fits {depths} with base_channels={base}')
    return '; '.join(parts) + '.'
