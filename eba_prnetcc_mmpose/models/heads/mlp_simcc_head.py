"""MLP-Mish SimCC head (paper §3.3, Fig. 2-3): MMPose's ``SimCCHead`` with a per-axis MLP."""
from typing import Optional, Sequence, Tuple, Union

import torch
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmpose.evaluation.functional import simcc_pck_accuracy
from mmpose.models.heads import SimCCHead
from mmpose.registry import MODELS
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList
from torch import Tensor, nn

OptIntSeq = Optional[Sequence[int]]


@MODELS.register_module()
class MLPSimCCHead(SimCCHead):
    """SimCC head with an MLP (Linear-Mish-Linear) per axis and Mish after each deconvolution.

    Built by :class:`SimCCHead`'s constructor (its deconvolution head, checks, module and
    state-dict layout, ``forward`` and ``predict``); then the activations and norms of the
    deconvolution and intermediate conv layers become ``act_cfg`` / ``norm_cfg``, and each
    per-axis ``Linear`` an MLP of ``num_mlp_layers`` layers. With ``num_mlp_layers=1`` and
    ``act_cfg=dict(type='ReLU')`` it is :class:`SimCCHead`.

    Args:
        in_channels, out_channels, input_size, in_featuremap_size, simcc_split_ratio,
        deconv_type, deconv_out_channels, deconv_kernel_sizes, deconv_num_groups,
        conv_out_channels, conv_kernel_sizes, final_layer, decoder: As in :class:`SimCCHead`.
        loss (dict): Loss config. Defaults to the paper's ``EBAKLDiscretLoss``.
        init_cfg (dict | list[dict], optional): Initialisation config. Defaults to
            ``SimCCHead``'s. A ``Pretrained`` config alone (e.g. a stock SimCC model with
            ``prefix='head.'``) is applied after ``SimCCHead``'s default init, so the layers
            it does not fill (the MLP) get that init.
        num_mlp_layers (int): Linear layers per axis, >= 1; 1 is SimCC's single layer (the
            paper's SLP). Defaults to 2.
        mlp_hidden_channels (int): Width of the hidden MLP layers, >= 1. Defaults to 256.
        mlp_act_cfg (dict): Activation between MLP layers. Defaults to ``dict(type='Mish')``.
        act_cfg (dict, optional): Activation after each (de)convolution (stock: ReLU,
            ``None``: none). Defaults to ``dict(type='Mish')``.
        norm_cfg (dict, optional): Norm after each (de)convolution (``None``: none).
            Defaults to ``dict(type='BN')``, the stock ``BatchNorm2d``.

    Checkpoints of MMPose's ``HeatmapHead`` (SimpleBaseline zoo: ``deconv_layers.*``,
    ``conv_layers.*``, ``final_layer.*``) load into ``deconv_head.*``, where SimCCHead keeps
    the same layers; SimCC zoo checkpoints have this head's keys.

    Raises:
        TypeError: for a ``num_mlp_layers`` / ``mlp_hidden_channels`` that is not an int.
        ValueError: for the arguments ``SimCCHead`` rejects, a ``num_mlp_layers`` /
            ``mlp_hidden_channels`` below 1, and a ``decoder`` whose ``input_size`` /
            ``simcc_split_ratio`` differ from the head's.
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
        for name, value in (('num_mlp_layers', num_mlp_layers),
                            ('mlp_hidden_channels', mlp_hidden_channels)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f'{name} must be an int >= 1, got {value!r}')
            if value < 1:
                raise ValueError(f'{name} must be an int >= 1, got {value}')
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            init_cfg = self.default_init_cfg + [init_cfg]
        super().__init__(
            in_channels, out_channels, input_size, in_featuremap_size,
            simcc_split_ratio=simcc_split_ratio, deconv_type=deconv_type,
            deconv_out_channels=deconv_out_channels, deconv_kernel_sizes=deconv_kernel_sizes,
            deconv_num_groups=deconv_num_groups, conv_out_channels=conv_out_channels,
            conv_kernel_sizes=conv_kernel_sizes, final_layer=final_layer, loss=loss,
            decoder=decoder, init_cfg=init_cfg)
        codec = self.decoder
        if codec is not None and hasattr(codec, 'simcc_split_ratio') and (
                tuple(codec.input_size) != tuple(input_size)
                or codec.simcc_split_ratio != simcc_split_ratio):
            raise ValueError(
                f'decoder input_size {tuple(codec.input_size)} / simcc_split_ratio '
                f'{codec.simcc_split_ratio} must equal the head\'s input_size '
                f'{tuple(input_size)} / simcc_split_ratio {simcc_split_ratio}')
        if self.deconv_head is not None:
            for layers in (self.deconv_head.deconv_layers, self.deconv_head.conv_layers):
                if isinstance(layers, nn.Sequential):
                    _swap_act_and_norm(layers, act_cfg, norm_cfg)
        if num_mlp_layers > 1:
            self.mlp_head_x = _mlp(self.mlp_head_x, num_mlp_layers, mlp_hidden_channels,
                                   mlp_act_cfg)
            self.mlp_head_y = _mlp(self.mlp_head_y, num_mlp_layers, mlp_hidden_channels,
                                   mlp_act_cfg)
        self._register_load_state_dict_pre_hook(self._map_heatmap_head_keys)

    def loss(self, feats: Tuple[Tensor], batch_data_samples: OptSampleList,
             train_cfg: OptConfigType = {}) -> dict:
        """``SimCCHead.loss`` on float32 logits, so that training also runs under bf16/fp16
        autocast (``SimCCHead`` hands the logits to numpy for the accuracy, which has no
        bfloat16)."""
        pred = tuple(p.float() for p in self.forward(feats))
        labels = [d.gt_instance_labels for d in batch_data_samples]
        gt = tuple(torch.cat([g[f'keypoint_{a}_labels'] for g in labels]) for a in 'xy')
        weights = torch.cat([g.keypoint_weights for g in labels])
        _, acc, _ = simcc_pck_accuracy(to_numpy(pred), to_numpy(gt), self.simcc_split_ratio,
                                       mask=to_numpy(weights) > 0)
        return dict(loss_kpt=self.loss_module(pred, gt, weights),
                    acc_pose=torch.tensor(acc, device=weights.device))

    def _map_heatmap_head_keys(self, state_dict, prefix, *args, **kwargs) -> None:
        """``load_state_dict`` pre-hook: ``HeatmapHead`` keys -> ``deconv_head.*``."""
        if self.deconv_head is None:  # then ``final_layer`` is SimCCHead's own
            return
        for key in list(state_dict):
            if key.startswith(prefix) and key[len(prefix):].split('.')[0] in (
                    'deconv_layers', 'conv_layers', 'final_layer'):
                state_dict[f'{prefix}deconv_head.{key[len(prefix):]}'] = state_dict.pop(key)


def _swap_act_and_norm(layers: nn.Sequential, act_cfg: OptConfigType,
                       norm_cfg: OptConfigType) -> None:
    """Replace the stock ReLUs / BatchNorm2ds of ``layers`` in place (same indices and keys)."""
    for i, module in enumerate(layers):
        if isinstance(module, nn.ReLU):
            layers[i] = build_activation_layer(act_cfg) if act_cfg else nn.Identity()
        elif isinstance(module, nn.BatchNorm2d):
            layers[i] = build_norm_layer(norm_cfg, module.num_features)[1] if norm_cfg \
                else nn.Identity()


def _mlp(linear: nn.Linear, num_layers: int, hidden: int,
         act_cfg: ConfigType) -> nn.Sequential:
    """``linear``'s in -> out as Linear-act-...-Linear with ``num_layers`` Linears."""
    in_features, out_features = linear.in_features, linear.out_features
    layers = []
    for _ in range(num_layers - 1):
        layers += [nn.Linear(in_features, hidden), build_activation_layer(act_cfg)]
        in_features = hidden
    return nn.Sequential(*layers, nn.Linear(in_features, out_features))
