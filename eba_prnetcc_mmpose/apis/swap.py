"""Swap the plugin's head (and backbone) into stock MMPose SimCC pipelines."""
import copy
import glob
import os.path as osp
from typing import List, Optional

from mmengine.config import Config

#: Trunk activation of a swapped-in EBAResNet: ReLU keeps ImageNet / zoo weights meaningful
#: (the paper's Mish trunk is ``act_cfg=dict(type='Mish')``); the attention uses Mish.
SWAP_BACKBONE = dict(type='EBAResNet', act_cfg=dict(type='ReLU', inplace=True),
                     attention_act_cfg=dict(type='Mish'))
SWAP_HEAD = dict(type='MLPSimCCHead')


def stock_simcc_configs(mmpose_root: Optional[str] = None) -> List[str]:
    """The SimCC configs shipped with the installed mmpose (``.mim/configs/body_2d_keypoint/
    simcc/**.py``), sorted. A newer mmpose that ships more lists them too."""
    if mmpose_root is None:
        import mmpose
        mmpose_root = osp.dirname(mmpose.__file__)
    pattern = osp.join(mmpose_root, '.mim', 'configs', 'body_2d_keypoint', 'simcc', '**', '*.py')
    return sorted(glob.glob(pattern, recursive=True))


def swap_config(cfg: Config, head: bool = True, backbone: bool = True) -> Config:
    """A copy of ``cfg`` with :class:`MLPSimCCHead` for its ``SimCCHead`` and, where the
    backbone is a ``ResNet``, :class:`EBAResNet` for it; everything else unchanged.

    This is what the configs under ``configs/swap/`` state in a few lines (``_base_`` the stock
    config, then ``model = dict(head=dict(type='MLPSimCCHead'), backbone=...)``).

    Args:
        cfg (Config): A loaded MMPose config whose ``model.head`` is a ``SimCCHead``.
        head (bool): Swap the head. Defaults to True.
        backbone (bool): Swap a ``ResNet`` backbone (others are kept). Defaults to True.

    Returns:
        Config: The swapped copy, with the plugin in ``custom_imports``.

    Raises:
        ValueError: ``cfg`` has no ``SimCCHead`` (``head=True``).
    """
    cfg = copy.deepcopy(cfg)
    model = cfg.model
    if head:
        if model.get('head', {}).get('type') not in ('SimCCHead', 'MLPSimCCHead'):
            raise ValueError(f"swap_config: model.head is a {model.get('head', {}).get('type')!r}, "
                             f'not a SimCCHead; MLPSimCCHead replaces SimCCHead only.')
        model.head.update(SWAP_HEAD)
    if backbone and model.backbone.get('type') == 'ResNet':
        model.backbone.update(copy.deepcopy(SWAP_BACKBONE))
    imports = list(cfg.get('custom_imports', {}).get('imports', []))
    if 'eba_prnetcc_mmpose' not in imports:
        imports.append('eba_prnetcc_mmpose')
    cfg.custom_imports = dict(imports=imports, allow_failed_imports=False)
    return cfg
