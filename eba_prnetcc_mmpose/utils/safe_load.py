"""Load MMEngine checkpoints without executing anything the file asks for.

MMEngine 0.10.7 calls ``torch.load`` without ``weights_only``: under torch >= 2.6 that means
torch's weights-only unpickler, which refuses the few non-tensor objects an MMEngine ``Runner``
checkpoint holds (numpy arrays and scalars in its metadata, ``HistoryBuffer`` objects in its
message hub), so resuming and ``tools/test.py`` fail on checkpoints MMEngine wrote itself.

:func:`allow_mmengine_checkpoints` (called by ``import eba_prnetcc_mmpose``) fixes that without
opening the unpickler up: every MMEngine load of a local file or a URL in this process goes
through :func:`load_checkpoint_safely`, which keeps torch's weights-only unpickler and maps the
names of those few globals to validating stand-ins of our own
(:mod:`eba_prnetcc_mmpose.utils.safe_unpickle`), never to the real numpy / MMEngine callables and
never to a generic callable such as ``getattr``. Anything else is refused with
:class:`UnsafeCheckpointError`, naming the file and the offending construct. The threat model and
design are in ``docs/checkpoint_security.md``.

A user who trusts a file that needs more (e.g. one holding custom Python objects) can list it in
the environment variable ``EBA_PRNETCC_TRUSTED_CHECKPOINTS`` (paths separated by ``os.pathsep``):
that file, and only that file, is then loaded with full pickle, which can run arbitrary code.
"""
import contextlib
import os
import os.path as osp
import pickle
import re
import threading
import zipfile
from typing import Any, Optional
from urllib.parse import urlparse

import torch
from mmengine.logging import print_log
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

from .safe_unpickle import RefusedConstruct, resolve, restricted_globals

TRUST_ENV = 'EBA_PRNETCC_TRUSTED_CHECKPOINTS'
_LOCK = threading.Lock()  # safe_globals edits a process-wide table: one load at a time


class CheckpointLoadError(pickle.UnpicklingError):
    """A checkpoint could not be loaded (base class; an ``UnpicklingError`` like torch's)."""


class UnsafeCheckpointError(CheckpointLoadError):
    """The checkpoint asks for something the restricted loader does not build."""


class CorruptCheckpointError(CheckpointLoadError):
    """The file is truncated, damaged or not a PyTorch checkpoint."""


def trusted_checkpoints() -> set:
    """Real paths listed in ``EBA_PRNETCC_TRUSTED_CHECKPOINTS`` (empty by default)."""
    value = os.environ.get(TRUST_ENV, '')
    return {osp.realpath(osp.expanduser(p)) for p in value.split(os.pathsep) if p.strip()}


_TORCH_REASONS = (
    (re.compile(r'Unsupported global: GLOBAL (\S+)'), 'the global {0}'),
    (re.compile(r'GLOBAL (\S+) whose module (\S+) is blocked'), 'the global {0} (blocked)'),
    (re.compile(r'reduce for unrecognized function (.+?)(?: which belongs|$)',
                re.M), 'a call to {0}'),
    (re.compile(r'Can only build .*?but got (.+)$', re.M), 'setting the state of {0}'),
    (re.compile(r'Can only create new object for .*?but got (.+)$', re.M), 'creating {0}'),
    (re.compile(r'Can only (SETITEMS?|APPENDS?) for .*?but got (.+)$', re.M), '{0} on {1}'),
    (re.compile(r'(Unsupported operand \d+)'), '{0}'),
    (re.compile(r'persistent_load (.+)$', re.M), 'persistent_load {0}'),
)


def _offending(torch_message: str) -> Optional[str]:
    for pattern, template in _TORCH_REASONS:
        match = pattern.search(torch_message)
        if match:
            return template.format(*match.groups()).strip()
    return None


def _refusal(filename: str, what: str) -> UnsafeCheckpointError:
    return UnsafeCheckpointError(
        f'Refused to load checkpoint {filename!r}: it asks for {what}, which the restricted '
        'loader of eba_prnetcc_mmpose does not build. Loading a checkpoint never runs code from '
        'it. The file may be malicious, or written by a program whose objects we do not know '
        '(e.g. custom classes in its meta). If you trust this file and its source, load it '
        f'with full pickle for one run by listing its path in the environment variable '
        f'{TRUST_ENV} (paths separated by {os.pathsep!r}); that can run any code the file '
        'holds. See docs/checkpoint_security.md.')


def _corrupt(filename: str, err: BaseException) -> CorruptCheckpointError:
    return CorruptCheckpointError(
        f'Could not read checkpoint {filename!r} ({type(err).__name__}: {str(err)[:200]}). '
        'The file is truncated, damaged or not a PyTorch checkpoint: save or download it '
        'again.')


@contextlib.contextmanager
def _only_our_globals():
    """torch's default allow-list plus our stand-ins, and nothing a user added process-wide.

    Entries added with ``torch.serialization.add_safe_globals`` elsewhere (say the real
    ``numpy.dtype``) would otherwise compete with ours for the same name during this load.
    """
    serialization = torch.serialization
    saved = serialization.get_safe_globals()
    serialization.clear_safe_globals()
    try:
        with serialization.safe_globals(restricted_globals()):
            yield
    finally:
        serialization.clear_safe_globals()
        serialization.add_safe_globals(saved)


def load_checkpoint_safely(filename: str, map_location: Any = None) -> Any:
    """Load a local checkpoint; never runs code from it (see the module docstring).

    Args:
        filename (str): Path of a file written by ``torch.save`` (zip or legacy format).
        map_location: As for :func:`torch.load`.

    Returns:
        The checkpoint, with numpy arrays/scalars and MMEngine ``HistoryBuffer`` objects
        rebuilt by validating constructors.

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        UnsafeCheckpointError: the file asks for a global or construct we do not build.
        CorruptCheckpointError: the file is not a readable PyTorch checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    if osp.realpath(filename) in trusted_checkpoints():
        print_log(f'Loading {filename} with full pickle because it is listed in {TRUST_ENV}: '
                  'this can run code from the file.', logger='current', level=30)
        return torch.load(filename, map_location=map_location, weights_only=False)
    with _LOCK, _only_our_globals():
        try:
            raw = torch.load(filename, map_location=map_location, weights_only=True)
            return resolve(raw)
        except RefusedConstruct as e:
            raise _refusal(filename, str(e)) from None
        except pickle.UnpicklingError as e:
            what = _offending(str(e))
            if what is not None:
                raise _refusal(filename, what) from None
            raise _corrupt(filename, e) from None
        except (RuntimeError, EOFError, ValueError, TypeError, KeyError, IndexError,
                AttributeError, OverflowError, MemoryError, UnicodeDecodeError,
                zipfile.BadZipFile, AssertionError) as e:
            raise _corrupt(filename, e) from None


def load_from_local_restricted(filename: str, map_location: Any = None) -> Any:
    """MMEngine's default scheme (its log names the backend after ``load_from_``)."""
    return load_checkpoint_safely(filename, map_location=map_location)


def load_url_safely(url: str, model_dir: Optional[str] = None, map_location: Any = None,
                    progress: bool = True, check_hash: bool = False,
                    file_name: Optional[str] = None, **kwargs) -> Any:
    """``torch.hub.load_state_dict_from_url`` with :func:`load_checkpoint_safely`.

    torch's own function downloads into ``<hub dir>/checkpoints`` and then unpickles with
    ``weights_only=False``; this one downloads the same file to the same place and loads it
    like a local file. A failed download says so and how to proceed offline.
    """
    if model_dir is None:
        model_dir = osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    name = file_name or osp.basename(urlparse(url).path)
    cached = osp.join(model_dir, name)
    if not osp.exists(cached):
        hash_prefix = None
        if check_hash:
            match = torch.hub.HASH_REGEX.search(name)
            hash_prefix = match.group(1) if match else None
        try:
            torch.hub.download_url_to_file(url, cached, hash_prefix, progress=progress)
        except Exception as e:  # URLError, HTTPError, socket errors, hash mismatch
            raise ConnectionError(
                f'Could not download checkpoint {url} ({type(e).__name__}: {e}). Nothing was '
                f'loaded. If this machine is offline, download the file elsewhere and put it '
                f'at {cached}, or point the config at a local file '
                "(init_cfg=dict(type='Pretrained', checkpoint='path/to/file.pth')), or train "
                'from scratch with init_cfg=None.') from e
    if zipfile.is_zipfile(cached) and not _is_torch_zip(cached):
        raise UnsafeCheckpointError(
            f'{cached} (from {url}) is a zip archive in the old torch.hub format, which the '
            f'restricted loader does not unpack. Extract it and load the .pth inside, or list '
            f'it in {TRUST_ENV} if you trust it.')
    return load_checkpoint_safely(cached, map_location=map_location)


def _is_torch_zip(path: str) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any(n.endswith('data.pkl') for n in archive.namelist())


def allow_mmengine_checkpoints() -> bool:
    """Route MMEngine's checkpoint loads through the restricted loader.

    - local files (``CheckpointLoader``'s default scheme) -> :func:`load_checkpoint_safely`;
    - ``http(s)://``, ``torchvision://``, ``modelzoo://``, ``open-mmlab://`` and ``mmcls://``
      URLs, which MMEngine downloads with ``torch.hub.load_state_dict_from_url`` (full pickle)
      -> :func:`load_url_safely`.

    Other schemes (``pavi://``, ``s3://``, ``petrel://``) call ``torch.load`` with torch's
    default, which on torch >= 2.6 is its weights-only unpickler with its own allow-list.

    Returns:
        bool: False (and nothing changed) on a torch without ``safe_globals`` (< 2.5).
    """
    if not hasattr(torch.serialization, 'safe_globals'):
        return False
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_restricted, force=True)
    mmengine_checkpoint.load_url = load_url_safely
    return True
