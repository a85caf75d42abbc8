"""Build a pose estimator from a config and read what its tools need from the *built model*.

The one low-level home of model building for the analysis tools (parameters, FLOPs,
benchmarks) and the deployment tools (export, predictor): both import from here and not from
each other.

Sizes are read from the model that was built (its head's ``input_size`` or its decoder's, its
data preprocessor's normalisation), never from a config's top-level ``codec``: a config that
inherits a model and changes only ``codec`` trains and tests with the *inherited* model sizes,
and the tools must agree with it.
"""
import os.path as osp
from typing import Any, Dict, Optional, Tuple, Union

import torch
from mmengine.config import Config
from torch import nn

ConfigLike = Union[str, Config]


class ModelBuildError(ValueError):
    """A model cannot be built or run as asked; the message names the cause and the fix."""


def resolve_config(config: str) -> str:
    """Path of ``config``; ``mmpose::REL`` resolves to the installed MMPose's ``configs/REL``."""
    if config.startswith('mmpose::'):
        import mmpose
        config = osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs',
                          config[len('mmpose::'):])
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    return config


def short_config_name(config: str, repo_root: Optional[str] = None) -> str:
    """``mmpose::REL`` for MMPose's configs, a path relative to ``repo_root`` for others."""
    if '/.mim/configs/' in config:
        return 'mmpose::' + config.split('/.mim/configs/', 1)[1]
    if repo_root and osp.abspath(config).startswith(osp.abspath(repo_root) + osp.sep):
        return osp.relpath(config, repo_root)
    return config


def build_model(config: ConfigLike, cfg_options: Optional[Dict] = None, device: str = 'cpu',
                checkpoint: Optional[str] = None) -> Tuple[nn.Module, Config]:
    """Build the pose estimator of ``config`` with MMPose's ``init_model``.

    The backbone's ``init_cfg`` (e.g. an ImageNet URL) is dropped: weights are random unless
    ``checkpoint`` is given, and nothing is downloaded.

    Args:
        config (str | Config): Config file (``mmpose::`` prefix allowed) or a loaded config.
        cfg_options (dict, optional): Overrides merged into the config.
        device (str): Device of the model. Defaults to ``'cpu'``.
        checkpoint (str, optional): Weights to load (a local file).

    Returns:
        tuple: ``(model, cfg)``, the model in eval mode and the merged config.
    """
    from mmpose.apis import init_model
    cfg = Config.fromfile(resolve_config(config)) if isinstance(config, str) else config
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'init_cfg' in cfg.model.get('backbone', {}):
        cfg.model.backbone.init_cfg = None
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    return init_model(cfg, checkpoint=checkpoint, device=device), cfg


def model_input_size(model_or_cfg: Union[nn.Module, Config]) -> Tuple[int, int]:
    """(W, H) that a built pose estimator takes (or, for a config, that its model will take).

    A built model answers from its head's ``input_size`` (SimCC and RTMCC heads) or its head's
    decoder (heatmap heads). A config answers from ``model.head.input_size``, then
    ``model.head.decoder.input_size``, then the top-level ``codec`` as a last resort.

    Raises:
        ModelBuildError: If the size cannot be told.
    """
    if isinstance(model_or_cfg, nn.Module):
        head = getattr(model_or_cfg, 'head', None)
        for source in (head, getattr(head, 'decoder', None)):
            size = getattr(source, 'input_size', None)
            if size is not None:
                return int(size[0]), int(size[1])
        raise ModelBuildError(
            f'cannot tell the input size of this {type(model_or_cfg).__name__}: its head has no '
            f'input_size and no decoder with one; pass the input size explicitly.')
    head = model_or_cfg.model.get('head', {})
    for source in (head, head.get('decoder') or {}, model_or_cfg.get('codec') or {}):
        if isinstance(source, dict) and source.get('input_size') is not None:
            return tuple(int(s) for s in source['input_size'])
    raise ModelBuildError('cannot tell the input size of this config: it has no '
                          'model.head.input_size, model.head.decoder.input_size or codec; pass '
                          'the input size explicitly.')


def preprocess_info(model: nn.Module) -> Dict[str, Any]:
    """What a deployed model needs to preprocess like MMPose's ``PoseDataPreprocessor``.

    Returns:
        dict: ``mean`` and ``std`` (per channel, in the model's channel order; None when the
        preprocessor does not normalise) and ``bgr_to_rgb``.
    """
    pre = model.data_preprocessor
    mean = getattr(pre, 'mean', None) if getattr(pre, '_enable_normalize', False) else None
    std = getattr(pre, 'std', None) if mean is not None else None
    return dict(mean=None if mean is None else [float(v) for v in mean.flatten()],
                std=None if std is None else [float(v) for v in std.flatten()],
                bgr_to_rgb=bool(getattr(pre, '_channel_conversion', False)))


class RawForward(nn.Module):
    """``image (N, 3, H, W) -> head outputs``: a pose estimator's ``_forward`` as ``forward``.

    Inputs are normalised images (what ``PoseDataPreprocessor`` produces); outputs are the
    head's raw tensors with no post-processing: ``(simcc_x (N, K, W*r), simcc_y (N, K, H*r))``
    for SimCC heads. With ``require_simcc=False`` any head's output is passed through (e.g.
    heatmaps, for counting and timing). Used for FLOP counting, timing and export.
    """

    def __init__(self, model: nn.Module, require_simcc: bool = True):
        super().__init__()
        self.model = model
        self.require_simcc = require_simcc

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        outs = self.model._forward(x)
        is_simcc = isinstance(outs, (tuple, list)) and len(outs) == 2
        if self.require_simcc and not is_simcc:
            raise TypeError(f'the head {type(self.model.head).__name__} does not return SimCC '
                            f'(x, y) logits; only SimCC-style heads can be exported here.')
        return tuple(outs) if isinstance(outs, (tuple, list)) else (outs, )


def check_input_size(model: nn.Module, input_size: Tuple[int, int]) -> None:
    """Run ``model`` once on a zero image of ``input_size`` (W, H); raise a one-line error if
    it cannot take that size.

    SimCC heads flatten the feature map into ``Linear`` layers and are tied to the input size
    they were built for; fully convolutional (heatmap) heads take other sizes.

    Raises:
        ModelBuildError: Naming the model's own size and the cause.
    """
    w, h = input_size
    if w <= 0 or h <= 0:
        raise ModelBuildError(f'input size must be positive, got H x W = {h} x {w}')
    trained_w, trained_h = model_input_size(model)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model._forward(torch.zeros(1, 3, h, w, device=device))
    except (RuntimeError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelBuildError(
            f'the model ({type(model.head).__name__}) was built for H x W = {trained_h} x '
            f'{trained_w} and cannot run at {h} x {w}: {first}') from None
    finally:
        model.train(was_training)

