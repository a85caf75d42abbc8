"""Load MMEngine checkpoints with ``torch.load(weights_only=True)`` (torch >= 2.6's default).

MMEngine 0.10.7 calls ``torch.load`` without ``weights_only``. Under torch >= 2.6 that means safe
loading, which refuses the few non-tensor objects an MMEngine ``Runner`` checkpoint holds, so
``resume=True`` and ``tools/test.py`` fail on checkpoints MMEngine wrote itself. Rather than
switching safe loading off (``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``) we register, through MMEngine's
own ``CheckpointLoader.register_scheme``, a local-file loader that keeps ``weights_only=True`` and
allows exactly what those checkpoints hold (:func:`mmengine_safe_globals`) during that load only.
Anything else in a checkpoint is still refused, and ``torch.load`` elsewhere is untouched.
"""
import os.path as osp
from typing import List, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


def mmengine_safe_globals() -> List:
    """The globals an MMEngine Runner checkpoint holds beyond torch's default allow-list.

    - ``HistoryBuffer`` (the message hub's logged scalars) and ``getattr``: a HistoryBuffer
      pickles its statistics methods as ``getattr(HistoryBuffer, 'mean')``. The weights-only
      unpickler still calls nothing but allow-listed callables, so ``getattr`` only reads
      attributes.
    - numpy arrays, scalars and dtypes (dataset meta, logged values), under both the numpy 1 and
      numpy 2 module names.
    """
    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # numpy 1.x
        from numpy.core import multiarray
    allowed = [HistoryBuffer, getattr, np.ndarray, np.dtype, multiarray._reconstruct,
               multiarray.scalar]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed.append((multiarray._reconstruct, f'{module}._reconstruct'))
        allowed.append((multiarray.scalar, f'{module}.scalar'))
    dtypes = getattr(np, 'dtypes', None)  # numpy >= 1.25: one class per dtype
    if dtypes is not None:
        allowed += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    return allowed


def load_from_local_safely(filename: str, map_location: Optional[str] = None):
    """MMEngine's local-file checkpoint loader, with ``weights_only=True`` and the allow-list."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    with torch.serialization.safe_globals(mmengine_safe_globals()):
        return torch.load(filename, map_location=map_location, weights_only=True)


def allow_mmengine_checkpoints() -> bool:
    """Make MMEngine load local checkpoints with :func:`load_from_local_safely`.

    Returns:
        bool: False (and nothing changed) on a torch without ``safe_globals`` (< 2.5).
    """
    if not hasattr(torch.serialization, 'safe_globals'):
        return False
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_safely, force=True)
    return True
