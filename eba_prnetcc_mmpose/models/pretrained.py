"""Reading a checkpoint's state dict for the plugin's ``load_pretrained`` methods.

One place for what can go wrong when a backbone or head reads pretrained weights, each with a
message that names the cause and the fix: a local file that is not there, a download that failed
(``torchvision://``, ``open-mmlab://``, ``http(s)://`` ... offline), a damaged file, a file that
holds no state dict, a ``prefix`` that selects nothing.
"""
import os.path as osp
import re
from typing import Dict, Optional
from urllib.parse import urlparse

from mmengine.runner.checkpoint import CheckpointLoader, get_torchvision_models

from ..utils.safe_load import CheckpointLoadError

#: ``scheme://`` of a checkpoint that MMEngine downloads (``torchvision://``, ``https://`` ...).
_REMOTE = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*://')


def is_remote(checkpoint: str) -> bool:
    """Whether MMEngine fetches ``checkpoint`` over the network (any ``scheme://``)."""
    return bool(_REMOTE.match(checkpoint)) and not checkpoint.startswith('file://')


def _download_url(checkpoint: str) -> str:
    """The http(s) address behind ``checkpoint`` where we can tell (torchvision://name)."""
    if checkpoint.startswith('torchvision://'):
        url = get_torchvision_models().get(checkpoint[len('torchvision://'):])
        if url:
            return f' ({url})'
    return ''


def _cache_hint(checkpoint: str) -> str:
    """Where torch's hub cache would find the file without downloading (http(s), torchvision)."""
    url = _download_url(checkpoint).strip(' ()') or checkpoint
    if not url.startswith(('http://', 'https://')):
        return ''
    import torch
    cached = osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(urlparse(url).path))
    return f', or put it at {cached}, where the download is looked for first'


def read_state_dict(checkpoint: str, owner: str, prefix: Optional[str] = None,
                    map_location: str = 'cpu', init_cfg_path: str = 'init_cfg') -> Dict:
    """Load ``checkpoint`` and return its state dict (``module.`` stripped, ``prefix`` selected).

    Args:
        checkpoint (str): Path or URL understood by MMEngine's ``CheckpointLoader``.
        owner (str): Who is loading, for the messages (e.g. ``'EBAResNet-34'``).
        prefix (str, optional): Keep only keys starting with it, stripped (``'backbone.'``).
        map_location (str): Device to map tensors to. Defaults to 'cpu'.
        init_cfg_path (str): Where the user sets the checkpoint, for the messages, e.g.
            ``'model.backbone.init_cfg'``. Defaults to ``'init_cfg'``.

    Raises:
        FileNotFoundError: a local file that does not exist.
        ConnectionError: a remote checkpoint whose download failed (offline, bad URL).
        CheckpointLoadError: the restricted loader refused or could not read the file
            (:mod:`eba_prnetcc_mmpose.utils.safe_load`; its message names cause and fix).
        RuntimeError: another failure to read the file, or a file with no state dict.
        ValueError: no key starts with ``prefix``.
    """
    try:
        ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location=map_location,
                                                logger='current')
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f'{owner}: pretrained checkpoint {checkpoint!r} not found. Fix the path in '
            f"{init_cfg_path}=dict(type='Pretrained', checkpoint=...) or set "
            f'{init_cfg_path}=None to train from scratch.') from e
    except CheckpointLoadError:
        raise  # refused or damaged: the loader's message names the file, the cause and the fix
    except Exception as e:  # network errors, torch.load / unpickling failures
        if is_remote(checkpoint):
            root = e
            while root.__cause__ is not None:  # the network error under any wrapper
                root = root.__cause__
            raise ConnectionError(
                f'{owner}: downloading the pretrained checkpoint {checkpoint!r}'
                f'{_download_url(checkpoint)} failed ({type(root).__name__}: {root}). Nothing '
                f'was loaded. If this machine is offline, either train without it '
                f'({init_cfg_path}=None, e.g. --cfg-options {init_cfg_path}=None) or download '
                f'the file elsewhere and point at the local copy: '
                f"{init_cfg_path}=dict(type='Pretrained', checkpoint='/path/to/file.pth')"
                f'{_cache_hint(checkpoint)}.') from e
        raise RuntimeError(
            f'{owner}: could not read checkpoint {checkpoint!r} ({type(e).__name__}: {e}). '
            f'The file is damaged or not a PyTorch checkpoint; download it again.') from e
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise RuntimeError(f'{owner}: checkpoint {checkpoint!r} holds a '
                           f'{type(ckpt).__name__}, not a state dict.')
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    if prefix:
        selected = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
        if not selected:
            roots = sorted({k.split('.')[0] + '.' for k in state})
            raise ValueError(f'{owner}: no key of {checkpoint!r} starts with prefix {prefix!r} '
                             f'(its keys start with {roots[:6]}).')
        state = selected
    return state
