"""MLP-Mish SimCC head (paper §3.3, Fig. 2-3): a drop-in for MMPose's ``SimCCHead``."""
from typing import Optional, Sequence, Tuple

from mmcv.cnn import ConvModule, build_activation_layer, build_conv_layer
from mmpose.models.heads import SimCCHead
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor, nn

# (padding, output_padding) that make a stride-2 transposed conv exactly double the size;
# the same table as MMPose's HeatmapHead.
_DECONV_PADDING = {4: (1, 0), 3: (1, 1), 2: (0, 0)}


@MODELS.register_module()
class MLPSimCCHead(SimCCHead):
    """SimCC head with deconvolutions (BN + Mish) and a per-axis MLP (Linear-Mish-Linear).

    ``feats[-1]`` -> ``len(deconv_out_channels)`` x [ConvTranspose2d(stride 2) - BN - act] ->
    1x1 conv to K keypoints -> flatten -> per axis an MLP of ``num_mlp_layers`` Linear layers
    with ``mlp_act_cfg`` between them -> x / y logits with ``input_size * simcc_split_ratio``
    bins. ``num_mlp_layers=1`` is the paper's SLP ablation and, with ReLU deconvolutions, the
    same network as MMPose's :class:`SimCCHead`. ``predict`` (flip test, ``output_heatmaps``)
    and ``loss`` (``loss_kpt``, ``acc_pose``) are inherited from :class:`SimCCHead`.

    Args:
        in_channels (int): Channels of the backbone's last feature map.
        out_channels (int): Number of keypoints K.
        input_size (tuple[int, int]): Model input (W, H), as the codec's ``input_size``.
        in_featuremap_size (tuple[int, int]): (W, H) of the backbone's last feature map,
            e.g. ``input_size // 32`` for ResNet.
        simcc_split_ratio (float): Bins per pixel. Defaults to 2.0.
        deconv_out_channels (Sequence[int], optional): Channels of each deconvolution;
            ``None`` or ``()`` for none. Defaults to (256, 256, 256).
        deconv_kernel_sizes (Sequence[int], optional): Kernel of each deconvolution (4, 3 or 2).
            Defaults to (4, 4, 4).
        norm_cfg (dict, optional): Norm after each deconvolution. Defaults to ``dict(type='BN')``.
        act_cfg (dict, optional): Activation after each deconvolution. Defaults to Mish.
        final_layer (dict, optional): Arguments of the 1x1 conv to K channels; ``None`` skips it.
            Defaults to ``dict(kernel_size=1)``.
        num_mlp_layers (int): Linear layers per axis; 1 is a single-layer perceptron (SLP).
            Defaults to 2.
        mlp_hidden_channels (int): Width of the hidden MLP layers. Defaults to 256.
        mlp_act_cfg (dict): Activation between MLP layers. Defaults to Mish.
        loss (dict): Loss config. Defaults to the paper's ``EBAKLDiscretLoss``.
        decoder (dict, optional): Codec config (``SimCCLabel``) used to decode predictions;
            must agree with ``input_size`` and ``simcc_split_ratio``.
        init_cfg (dict, optional): Initialisation config. Defaults to ``SimCCHead``'s.

    Raises:
        ValueError: if ``input_size``, ``in_featuremap_size``, the number of deconvolutions
            and the codec do not fit together (the message names the numbers and the fix).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 input_size: Tuple[int, int],
                 in_featuremap_size: Tuple[int, int],
                 simcc_split_ratio: float = 2.0,
                 deconv_out_channels: Optional[Sequence[int]] = (256, 256, 256),
                 deconv_kernel_sizes: Optional[Sequence[int]] = (4, 4, 4),
                 norm_cfg: OptConfigType = dict(type='BN'),
                 act_cfg: OptConfigType = dict(type='Mish'),
                 final_layer: OptConfigType = dict(kernel_size=1),
                 num_mlp_layers: int = 2,
                 mlp_hidden_channels: int = 256,
                 mlp_act_cfg: ConfigType = dict(type='Mish'),
                 loss: ConfigType = dict(type='EBAKLDiscretLoss', use_target_weight=True),
                 decoder: OptConfigType = None,
                 init_cfg: OptMultiConfig = None):
        # SimCCHead.__init__ builds its own (ReLU, single-Linear) layers; we reuse its predict
        # and loss, and build our layers here, so initialise from BaseHead directly.
        BaseHead.__init__(self, init_cfg if init_cfg is not None else self.default_init_cfg)
        deconv_out_channels = tuple(deconv_out_channels or ())
        deconv_kernel_sizes = tuple(deconv_kernel_sizes or ())
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.input_size = tuple(input_size)
        self.in_featuremap_size = tuple(in_featuremap_size)
        self.simcc_split_ratio = simcc_split_ratio
        self.heatmap_size = self._check_sizes(deconv_out_channels, deconv_kernel_sizes)
        if num_mlp_layers < 1:
            raise ValueError(f'MLPSimCCHead: num_mlp_layers must be >= 1, got {num_mlp_layers}')
        self.num_mlp_layers = num_mlp_layers

        self.loss_module = MODELS.build(loss)
        self.decoder = KEYPOINT_CODECS.build(decoder) if decoder is not None else None
        self._check_codec()

        layers = []
        for channels, kernel in zip(deconv_out_channels, deconv_kernel_sizes):
            padding, output_padding = _DECONV_PADDING[kernel]
            layers.append(
                ConvModule(in_channels, channels, kernel, stride=2, padding=padding,
                           conv_cfg=dict(type='deconv', output_padding=output_padding),
                           norm_cfg=norm_cfg, act_cfg=act_cfg, inplace=False))
            in_channels = channels
        self.deconv_layers = nn.Sequential(*layers) if layers else nn.Identity()
        if final_layer is not None:
            cfg = dict(type='Conv2d', in_channels=in_channels, out_channels=out_channels,
                       kernel_size=1)
            cfg.update(final_layer)
            self.final_layer = build_conv_layer(cfg)
        else:
            self.final_layer = nn.Identity()

        flatten_dims = self.heatmap_size[0] * self.heatmap_size[1]
        bins_x = int(self.input_size[0] * simcc_split_ratio)
        bins_y = int(self.input_size[1] * simcc_split_ratio)
        self.mlp_head_x = self._make_mlp(flatten_dims, bins_x, mlp_hidden_channels, mlp_act_cfg)
        self.mlp_head_y = self._make_mlp(flatten_dims, bins_y, mlp_hidden_channels, mlp_act_cfg)

    def _make_mlp(self, in_dims: int, out_dims: int, hidden: int,
                  act_cfg: ConfigType) -> nn.Module:
        if self.num_mlp_layers == 1:
            return nn.Linear(in_dims, out_dims)  # same module (and state-dict keys) as SimCCHead
        layers = []
        for _ in range(self.num_mlp_layers - 1):
            layers += [nn.Linear(in_dims, hidden), build_activation_layer(act_cfg)]
            in_dims = hidden
        layers.append(nn.Linear(in_dims, out_dims))
        return nn.Sequential(*layers)

    def _check_sizes(self, deconv_out_channels: Sequence[int],
                     deconv_kernel_sizes: Sequence[int]) -> Tuple[int, int]:
        name = type(self).__name__
        if len(deconv_out_channels) != len(deconv_kernel_sizes):
            raise ValueError(
                f'{name}: deconv_out_channels {deconv_out_channels} and deconv_kernel_sizes '
                f'{deconv_kernel_sizes} must have the same length (one entry per deconvolution).')
        bad = [k for k in deconv_kernel_sizes if k not in _DECONV_PADDING]
        if bad:
            raise ValueError(f'{name}: deconvolution kernel sizes must be 4, 3 or 2, got {bad}.')
        for what, size in (('input_size', self.input_size),
                           ('in_featuremap_size', self.in_featuremap_size)):
            if len(size) != 2 or min(size) <= 0:
                raise ValueError(f'{name}: {what} must be a positive (W, H) pair, got {size}.')
        n = len(deconv_out_channels)
        heatmap = tuple(s * 2**n for s in self.in_featuremap_size)
        strides = [i / h for i, h in zip(self.input_size, heatmap)]
        if any(s < 1 or s != int(s) for s in strides) or strides[0] != strides[1]:
            input_w, input_h = self.input_size
            raise ValueError(
                f'{name}: in_featuremap_size (W, H) = {self.in_featuremap_size} upsampled by '
                f'{n} deconvolution(s) gives a {heatmap} map, which does not tile '
                f'input_size {self.input_size} with one integer stride (got '
                f'{strides[0]:g} x {strides[1]:g}). For a stride-32 backbone such as ResNet set '
                f'in_featuremap_size=({input_w // 32}, {input_h // 32}) '
                f"(= tuple(s // 32 for s in codec['input_size'])), and use at most 5 "
                f'deconvolutions.')
        return heatmap

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

    def forward(self, feats: Tuple[Tensor]) -> Tuple[Tensor, Tensor]:
        """Return ``(pred_x, pred_y)`` logits of shapes (N, K, W*r) and (N, K, H*r)."""
        x = feats[-1]
        fw, fh = self.in_featuremap_size
        if tuple(x.shape[-2:]) != (fh, fw):
            raise ValueError(
                f'{type(self).__name__}: expected a backbone feature map of W x H = {fw} x {fh} '
                f'(in_featuremap_size) but got {x.shape[-1]} x {x.shape[-2]}. The model input '
                f'and in_featuremap_size disagree: in_featuremap_size must be the input size '
                f"divided by the backbone stride, e.g. tuple(s // 32 for s in codec['input_size']).")
        x = self.final_layer(self.deconv_layers(x))
        x = x.flatten(2)
        return self.mlp_head_x(x), self.mlp_head_y(x)
