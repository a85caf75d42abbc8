"""Parameters and FLOPs of any MMPose config, counted by MMEngine's complexity counter.

MMEngine's counter (the one MMPose's ``get_flops.py`` uses) counts one multiply-accumulate as
one "FLOP" and counts ``ConvTranspose2d`` at its true cost. Every model we report, ours and the
MMPose zoo's, is counted by it, so the numbers compare; docs/paper_to_code.md explains how they
relate to the paper's GFLOPs.
"""
from typing import Dict, Optional, Sequence

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from torch import nn

from eba_prnetcc_mmpose.utils.model_build import (ConfigLike, RawForward, build_model,
                                                  check_input_size, model_input_size)


def count_model(model: nn.Module, input_size: Optional[Sequence[int]] = None) -> Dict:
    """Count the parameters and FLOPs of a built pose estimator on one image.

    Args:
        model (nn.Module): A built MMPose pose estimator.
        input_size (Sequence[int], optional): (W, H); defaults to the size the model was built
            for (its head's ``input_size`` or its decoder's).

    Returns:
        dict: ``params`` (count), ``flops`` (MACs, all layers), ``flops_no_deconv`` (the same
        without the head's transposed convolutions), ``input_size`` (W, H).

    Raises:
        ModelBuildError: If the model cannot run at ``input_size`` (one line, with the cause).
    """
    w, h = input_size or model_input_size(model)
    model.eval()
    if input_size is not None and tuple(input_size) != model_input_size(model):
        check_input_size(model, (w, h))
    device = next(model.parameters()).device
    analyzer = FlopAnalyzer(RawForward(model, require_simcc=False),
                            (torch.randn(1, 3, h, w, device=device), ))
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    analyzer.tracer_warnings('none')
    flops = analyzer.total()
    deconv = sum(count for name, count in analyzer.by_module().items()
                 if isinstance(_get(model, name), torch.nn.ConvTranspose2d))
    return dict(params=parameter_count(model)[''], flops=flops, flops_no_deconv=flops - deconv,
                input_size=(w, h))


def measure_complexity(config: ConfigLike, input_size: Optional[Sequence[int]] = None,
                       cfg_options: Optional[Dict] = None) -> Dict:
    """Build ``config``'s model (random weights) and count it with :func:`count_model`.

    Args:
        config (str | Config): Config path (``mmpose::`` prefixes allowed) or a loaded config.
        input_size (Sequence[int], optional): (W, H); defaults to the built model's own size
            (not the config's top-level ``codec``).
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        dict: as :func:`count_model`.
    """
    model, _ = build_model(config, cfg_options)
    return count_model(model, input_size)


def _get(model: torch.nn.Module, name: str):
    name = name[len('model.'):] if name.startswith('model.') else name
    try:
        return model.get_submodule(name) if name else model
    except AttributeError:
        return None
