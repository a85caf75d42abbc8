"""Load MMEngine checkpoints as data: nothing in the file runs, here or later in MMEngine.

:func:`allow_mmengine_checkpoints` (called by ``import eba_prnetcc_mmpose``) routes MMEngine's
checkpoint loads (local files and the URLs it downloads) to :func:`load_checkpoint_safely`:

1. the file is opened once; everything below reads that open file, never the path again;
2. a fresh interpreter (``python -I -S``, standard library only, :mod:`checkpoint_parser`) parses
   the pickle with inert stand-ins and returns a tagged tree plus where each tensor's bytes lie.
   It runs with no core dumps, no file writes, a memory limit (:data:`PARSER_MEMORY` plus the
   file's size) and a CPU limit, and is killed at a wall-clock deadline (:data:`PARSER_SECONDS`),
   so crashes, hangs, allocation bombs and stale heap memory stay in that process;
3. this process checks and rebuilds the tree (:mod:`checkpoint_tree`), reading tensor bytes
   from the file into fresh tensors; torch's own unpickler and its process-wide state (safe
   globals, sparse-tensor checks) are never used;
4. config texts that MMEngine later hands to ``Config.fromstring`` (``meta.config``,
   ``meta.cfg``, ``message_hub.runtime_info.cfg``) are dropped: even a text of literals builds
   any importable callable through a dotted ``type``. Runtime info that MMEngine turns into
   file deletions (``best_ckpt*``, ``last_ckpt``, ``keep_ckpt_ids``) is kept only in a file at
   the path it was saved to, naming checkpoint files beside it, and ``meta.dataset_meta`` only with MMPose's metainfo keys
   (its inference copies them over every sample). Each drop is one warning naming the file.

A user who trusts a file that needs more can list it in ``EBA_PRNETCC_TRUSTED_CHECKPOINTS``
(paths separated by ``os.pathsep``): the file that was opened, if it *is* one of those files,
is loaded with full pickle. The threat model and the measured bounds are in
``docs/checkpoint_security.md``.
"""
import json
import logging
import os
import os.path as osp
import pickle
import selectors
import signal
import stat
import subprocess
import sys
import threading
import time
from typing import Any, Dict, Optional
from urllib.parse import urlparse

import torch
from mmengine.logging import print_log
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

from .checkpoint_tree import (TreeBuilder, TreeError, drop_config_texts,
                              sanitize_runtime_state)

TRUST_ENV = 'EBA_PRNETCC_TRUSTED_CHECKPOINTS'
PARSER = osp.join(osp.dirname(osp.abspath(__file__)), 'checkpoint_parser', '__main__.py')
PARSER_SECONDS = 10           # wall clock (and CPU) limit of one parse
PARSER_MEMORY = 2**30         # address space of the parser, on top of the file's size
OUTPUT_LIMIT = 64 * 2**20     # parser output, on top of twice the file's size
DOWNLOAD_TIMEOUT = 60         # seconds without a byte before a download is given up
DOWNLOAD_LIMIT = 8 * 2**30    # bytes: a download larger than this is not a checkpoint we load
_stats = threading.local()


class CheckpointLoadError(pickle.UnpicklingError):
    """A checkpoint could not be loaded (base class; an ``UnpicklingError`` like torch's)."""


class UnsafeCheckpointError(CheckpointLoadError):
    """The checkpoint asks for something the restricted loader does not build or allow."""


class CorruptCheckpointError(CheckpointLoadError, RuntimeError):
    """The file is truncated, damaged or not a PyTorch checkpoint (also a ``RuntimeError``, what
    ``torch.load`` raises for such files)."""


def printable(text: Any, limit: int = 300) -> str:
    """``text`` with control characters escaped (no terminal escapes from a file)."""
    text = str(text)[:limit]
    return ''.join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _refusal(filename: str, what: str) -> UnsafeCheckpointError:
    return UnsafeCheckpointError(
        f'Refused to load checkpoint {printable(filename)!r}: it asks for {printable(what)}, '
        'which the restricted loader of eba_prnetcc_mmpose does not build. Loading a '
        'checkpoint never runs code from it. The file may be malicious, or written by a '
        'program whose objects we do not know (e.g. custom classes in its meta). If you trust '
        'this file and its source, load it with full pickle for one run by listing its path in '
        f'the environment variable {TRUST_ENV} (paths separated by {os.pathsep!r}); that can '
        'run any code the file holds. See docs/checkpoint_security.md.')


def _corrupt(filename: str, what: str) -> CorruptCheckpointError:
    return CorruptCheckpointError(
        f'Could not read checkpoint {printable(filename)!r} ({printable(what)}). The file is '
        'truncated, damaged or not a PyTorch checkpoint: save or download it again.')


def last_load_stats() -> Dict[str, Any]:
    """Wall time (s) and the parser's peak memory (MiB) of this thread's last load."""
    return dict(getattr(_stats, 'last', {}))


def _is_trusted(fd: int) -> bool:
    """Whether the *opened* file is one listed in ``EBA_PRNETCC_TRUSTED_CHECKPOINTS``."""
    opened = os.fstat(fd)
    for path in os.environ.get(TRUST_ENV, '').split(os.pathsep):
        if path.strip():
            try:
                if osp.samestat(opened, os.stat(osp.expanduser(path.strip()))):
                    return True
            except OSError:
                continue
    return False


def _run_parser(fd: int, size: int, filename: str) -> dict:
    """Run the parser on ``fd``; its JSON document, or raise a refusal naming the limit hit."""
    limit = OUTPUT_LIMIT + 2 * size
    proc = subprocess.Popen(
        [sys.executable, '-I', '-S', PARSER, str(fd), str(PARSER_MEMORY + size),
         str(PARSER_SECONDS)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, pass_fds=(fd, ), cwd='/', env={'LC_ALL': 'C'})
    chunks, total, err = [], 0, b''
    deadline = time.monotonic() + PARSER_SECONDS
    reason = None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        sel.register(proc.stderr, selectors.EVENT_READ)
        while sel.get_map() and reason is None:
            left = deadline - time.monotonic()
            if left <= 0:
                reason = f'more than {PARSER_SECONDS} s of parsing'
                break
            for key, _ in sel.select(left):
                data = os.read(key.fd, 1 << 20)
                if not data:
                    sel.unregister(key.fileobj)
                elif key.fileobj is proc.stdout:
                    chunks.append(data)
                    total += len(data)
                    if total > limit:
                        reason = f'a parse result over {limit >> 20} MiB'
                else:
                    err = (err + data)[-4000:]
    if reason is not None:
        proc.kill()
    _, status = os.waitpid(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    proc.stderr.close()
    _stats.last = dict(exit=proc.returncode)
    if reason is not None:
        raise _refusal(filename, reason)
    if proc.returncode < 0:
        sig = signal.Signals(-proc.returncode).name
        what = {'SIGXCPU': f'more than {PARSER_SECONDS} s of CPU time',
                'SIGKILL': 'more memory or time than the parser may use'}.get(
                    sig, f'a parse that crashed the parser process ({sig})')
        raise _refusal(filename, what)
    try:
        doc = json.loads(b''.join(chunks))
        assert type(doc) is dict and type(doc.get('ok')) is bool
        if type(doc.get('peak_kib')) is int:
            _stats.last['parser_peak_mib'] = doc['peak_kib'] / 1024
    except (ValueError, RecursionError, AssertionError):
        raise _corrupt(filename, 'the parser gave no result: ' +
                       err.decode('utf-8', 'replace')[-300:]) from None
    return doc


def load_checkpoint_safely(filename: str, map_location: Any = None) -> Any:
    """Load a local checkpoint as data; nothing from it ever runs (see the module docstring).

    Args:
        filename (str): Path of a file written by ``torch.save`` (zip or legacy format).
        map_location: As for :func:`torch.load`.

    Returns:
        The checkpoint: tensors, numpy arrays and scalars, MMEngine ``HistoryBuffer`` objects,
        torch dtypes/devices/sizes and plain containers.

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        UnsafeCheckpointError: the file asks for a construct we do not build, or for more time
            or memory than the parser may use.
        CorruptCheckpointError: the file is not a readable PyTorch checkpoint.
    """
    start = time.perf_counter()
    filename = osp.expanduser(filename)
    try:
        fd = os.open(filename, os.O_RDONLY | os.O_CLOEXEC | getattr(os, 'O_NONBLOCK', 0))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise FileNotFoundError(f'{filename} can not be found.') from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileNotFoundError(f'{filename} can not be found (not a regular file).')
        if _is_trusted(fd):
            print_log(f'Loading {filename} with full pickle because it is listed in '
                      f'{TRUST_ENV}: this can run code from the file.', logger='current',
                      level=30)
            with os.fdopen(os.dup(fd), 'rb') as f:
                return torch.load(f, map_location=map_location, weights_only=False)
        doc = _run_parser(fd, info.st_size, filename)
        if not doc['ok']:
            make = _corrupt if doc.get('kind') == 'corrupt' else _refusal
            raise make(filename, str(doc.get('what')))
        try:
            builder = TreeBuilder(fd, info.st_size, doc.get('storages'), map_location)
            checkpoint = builder.build(doc.get('tree'))
        except (TreeError, RecursionError, OverflowError) as e:
            raise _corrupt(filename, str(e)) from None
        except (RuntimeError, TypeError, ValueError) as e:  # torch refusing what the file says
            raise _corrupt(filename, f'{type(e).__name__}: {str(e).splitlines()[0]}') from None
    finally:
        os.close(fd)
    drop_config_texts(checkpoint, lambda what: print_log(  # every MMEngine checkpoint has them
        f'Checkpoint {printable(filename)}: not using its config text ({what}; MMEngine would '
        'run it as Python). Pass the config explicitly where a tool needs one.',
        logger='current', level=logging.INFO))
    sanitize_runtime_state(checkpoint, filename, lambda what: print_log(
        f'Checkpoint {printable(filename)}: dropped {what}.', logger='current',
        level=logging.WARNING))
    _stats.last = dict(getattr(_stats, 'last', {}), seconds=time.perf_counter() - start)
    return checkpoint


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
            _download(url, cached, hash_prefix, progress)
        except Exception as e:  # URLError, HTTPError, socket errors, size, hash mismatch
            raise ConnectionError(
                f'Could not download checkpoint {url} ({type(e).__name__}: {e}). Nothing was '
                f'loaded. If this machine is offline, download the file elsewhere and put it '
                f'at {cached}, or point the config at a local file '
                "(init_cfg=dict(type='Pretrained', checkpoint='path/to/file.pth')), or train "
                'from scratch with init_cfg=None.') from e
    return load_checkpoint_safely(cached, map_location=map_location)


def _download(url: str, dst: str, hash_prefix: Optional[str], progress: bool = False) -> None:
    """``url`` to ``dst`` through a temporary file beside it, giving up after
    :data:`DOWNLOAD_TIMEOUT` s without data or past :data:`DOWNLOAD_LIMIT` bytes (torch's
    ``download_url_to_file`` waits forever and writes whatever the server sends)."""
    import hashlib
    import tempfile
    import urllib.request
    if urlparse(url).scheme not in ('http', 'https'):  # urlopen would also read file:// paths
        raise ValueError(f'only http(s) URLs are downloaded, got {printable(url)}')
    sha = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix='.download_', dir=osp.dirname(dst))
    try:
        with os.fdopen(fd, 'wb') as out, urllib.request.urlopen(  # noqa: S310 (checked)
                urllib.request.Request(url, headers={'User-Agent': 'eba-prnetcc-mmpose'}),
                timeout=DOWNLOAD_TIMEOUT) as response:
            size = 0
            total = response.headers.get('Content-Length')
            bar = None
            if progress:
                print_log(f'Downloading {printable(url)} to {dst} ({int(total) / 2**20:.1f} MiB)'
                          if total and total.isdigit() else f'Downloading {printable(url)}',
                          logger='current')
                if total and total.isdigit():
                    from mmengine.utils import ProgressBar
                    bar = ProgressBar(-(-int(total) // 2**20))  # one step per MiB
            while True:
                chunk = response.read(2**20)
                if not chunk:
                    break
                size += len(chunk)
                if size > DOWNLOAD_LIMIT:
                    raise ValueError(f'the server sent more than {DOWNLOAD_LIMIT} bytes')
                out.write(chunk)
                sha.update(chunk)
                while bar is not None and bar.completed < -(-size // 2**20):
                    bar.update()
            if bar is not None:
                sys.stdout.write('\n')  # end the bar's line
        if hash_prefix and not sha.hexdigest().startswith(hash_prefix):
            raise ValueError(f'SHA-256 {sha.hexdigest()[:len(hash_prefix)]} does not match the '
                             f'file name\'s {hash_prefix}')
        os.replace(tmp, dst)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def allow_mmengine_checkpoints() -> bool:
    """Route MMEngine's checkpoint loads through the restricted loader.

    - local files (``CheckpointLoader``'s default scheme) -> :func:`load_checkpoint_safely`;
    - ``http(s)://``, ``torchvision://``, ``modelzoo://``, ``open-mmlab://`` and ``mmcls://``
      URLs, which MMEngine downloads with ``torch.hub.load_state_dict_from_url`` (full pickle)
      -> :func:`load_url_safely`.

    Other schemes (``pavi://``, ``s3://``, ``petrel://``) call ``torch.load`` with torch's
    default, which on torch >= 2.6 is its weights-only unpickler with its own allow-list.

    Returns:
        bool: True once the routes are in place.
    """
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_restricted, force=True)
    mmengine_checkpoint.load_url = load_url_safely
    return True
