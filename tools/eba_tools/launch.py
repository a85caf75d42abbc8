"""Run MMPose's own ``tools/*.py`` entry points with the plugin loaded (and CPU distributed)."""
import os
import os.path as osp
import runpy
import sys
from typing import List, Optional

import torch
import torch.distributed as dist


def mmpose_tool(name: str) -> str:
    """Path of a script shipped inside the installed mmpose package (``mmpose/.mim/tools``)."""
    import mmpose
    path = osp.join(osp.dirname(mmpose.__file__), '.mim', 'tools', name)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: this mmpose install has no .mim/tools; '
                                f'reinstall mmpose from PyPI (pip install mmpose==1.3.2).')
    return path


def prepare_cpu_distributed(argv: List[str]) -> List[str]:
    """Make ``--launcher pytorch`` work on machines without CUDA.

    MMEngine's ``pytorch`` launcher calls ``torch.cuda.set_device`` and its default DDP wrapper
    passes ``device_ids=[LOCAL_RANK]``, both CUDA-only. Without CUDA we create the gloo process
    group ourselves (``Runner`` then skips its own ``init_dist``) and ask for a DDP wrapper with
    ``device_ids=None``. With CUDA, or without ``--launcher pytorch``, ``argv`` is unchanged.

    Returns:
        list: the (possibly extended) argument list.
    """
    launcher = _option(argv, '--launcher')
    if launcher != 'pytorch' or torch.cuda.is_available():
        return argv
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    return argv + ['--cfg-options', 'model_wrapper_cfg.type=MMDistributedDataParallel',
                   'model_wrapper_cfg.device_ids=None', 'env_cfg.dist_cfg.backend=gloo']


def run_mmpose_tool(name: str, argv: Optional[List[str]] = None) -> None:
    """Run ``mmpose/.mim/tools/<name>`` as ``__main__`` with ``argv``, plugin imported."""
    import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin, allow-lists checkpoints)
    argv = prepare_cpu_distributed(list(sys.argv[1:] if argv is None else argv))
    path = mmpose_tool(name)
    sys.argv = [path] + argv
    # mmpose's tools import siblings relative to their own folder
    sys.path.insert(0, osp.dirname(path))
    os.environ.setdefault('PYTHONWARNINGS', 'ignore::FutureWarning')
    try:
        runpy.run_path(path, run_name='__main__')
    finally:
        # Shut the process group down before the interpreter does: a rank that exits with
        # gloo's communication threads still alive can abort ("terminate called without an
        # active exception"), and torchrun then kills the other ranks of a finished run.
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()


def _option(argv: List[str], name: str) -> Optional[str]:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + '='):
            return arg.split('=', 1)[1]
    return None
