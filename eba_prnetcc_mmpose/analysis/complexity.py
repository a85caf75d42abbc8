"""Parameters and FLOPs of any MMPose config, counted by MMEngine's complexity counter.

MMEngine's counter (the one MMPose's ``get_flops.py`` uses) counts one multiply-accumulate as
one "FLOP" and counts ``ConvTranspose2d`` at its true cost. Every model we report, ours and the
MMPose zoo's, is counted by it, so the numbers compare; docs/paper_to_code.md explains how they
relate to the paper's GFLOPs.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.config import Config


def model_input_size(cfg: Config) -> Tuple[int, int]:
    """(W, H) the model of ``cfg`` takes: its codec's ``input_size`` (or its head's)."""
    codec = cfg.get('codec')
    if isinstance(codec, dict) and 'input_size' in codec:
        return tuple(codec['input_size'])
    head = cfg.model.get('head', {})
    if 'input_size' in head:
        return tuple(head['input_size'])
    raise ValueError('cannot tell the input size of this config: it has no codec.input_size '
                     'and no model.head.input_size; pass input_size=(W, H) explicitly.')


def build_model(config: str, cfg_options: Optional[Dict] = None, device: str = 'cpu'):
    """Build the pose estimator of ``config`` with random weights (no checkpoint download)."""
    from mmpose.apis import init_model
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'init_cfg' in cfg.model.get('backbone', {}):
        cfg.model.backbone.init_cfg = None  # no ImageNet download for counting / timing
    return init_model(cfg, checkpoint=None, device=device), cfg


def measure_complexity(config: str, input_size: Optional[Sequence[int]] = None,
                       cfg_options: Optional[Dict] = None) -> Dict:
    """Count the parameters and FLOPs of ``config``'s model on one image.

    Args:
        config (str): Config path (``mmpose::`` prefixes allowed in its ``_base_``).
        input_size (Sequence[int], optional): (W, H); defaults to the config's codec input size.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        dict: ``params`` (count), ``flops`` (MACs, all layers), ``flops_no_deconv`` (the same
        without the head's transposed convolutions), ``input_size`` (W, H).
    """
    model, cfg = build_model(config, cfg_options)
    w, h = input_size or model_input_size(cfg)
    model.eval()
    inputs = torch.randn(1, 3, h, w)
    from ..deploy.onnx_export import SimCCExportWrapper  # model._forward as forward
    analyzer = FlopAnalyzer(SimCCExportWrapper(model, require_simcc=False), (inputs, ))
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    analyzer.tracer_warnings('none')
    flops = analyzer.total()
    deconv = sum(count for name, count in analyzer.by_module().items()
                 if isinstance(_get(model, name), torch.nn.ConvTranspose2d))
    return dict(params=parameter_count(model)[''], flops=flops, flops_no_deconv=flops - deconv,
                input_size=(w, h))


def _get(model: torch.nn.Module, name: str):
    name = name[len('model.'):] if name.startswith('model.') else name
    try:
        return model.get_submodule(name) if name else model
    except AttributeError:
        return None
