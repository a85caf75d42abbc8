"""Parent half of the restricted loader: rebuild the parser's tagged tree into Python objects.

The child process (:mod:`checkpoint_parser`) sends a JSON tree whose nodes are plain values or
``[tag, ...]`` lists, and, per tensor storage, ``[dtype, offset, nbytes, location]`` in the file.
This module trusts none of it: every tag, length, dtype, shape and byte range is checked again
here, containers nest at most :data:`MAX_DEPTH` levels, dict keys are only atoms or flat tuples
of atoms (so hashing them is cheap), and
tensor bytes are read from the already-open file descriptor into fresh tensors (never views of
memory this process did not fill from the file). The tree has no shared nodes, so what is built
is as large as the parser's output and no larger.

:func:`drop_config_texts` removes the config texts MMEngine stores in a checkpoint: its
``Config.fromstring`` runs them as Python, and a config built from one can name any importable
callable as a ``type``. :func:`sanitize_runtime_state` keeps from MMEngine's runtime info and
the dataset meta only what cannot name a file or override a sample's fields.
"""
import base64
import binascii
import math
import os
import os.path as osp
import re
from collections import Counter, OrderedDict
from typing import Any, Callable, Dict, List

import numpy as np
import torch

MAX_DEPTH = 2 * 100 + 8
TORCH_DTYPES = {
    'float32': torch.float32, 'float64': torch.float64, 'float16': torch.float16,
    'bfloat16': torch.bfloat16, 'int64': torch.int64, 'int32': torch.int32,
    'int16': torch.int16, 'int8': torch.int8, 'uint8': torch.uint8, 'bool': torch.bool,
    'complex64': torch.complex64, 'complex128': torch.complex128, 'float': torch.float32,
    'double': torch.float64, 'half': torch.float16, 'long': torch.int64, 'int': torch.int32,
    'short': torch.int16, 'cfloat': torch.complex64, 'cdouble': torch.complex128,
}
NUMPY_DTYPES = {o + c for o in '<>' for c in ('i2', 'i4', 'i8', 'u2', 'u4', 'u8', 'f2', 'f4',
                                              'f8', 'c8', 'c16')} | {'|b1', '|i1', '|u1'}
DEVICE = re.compile(r'^[a-z]{2,16}(:\d{1,5})?$')
MAX_NDIM = 32


class TreeError(ValueError):
    """The parser's output is malformed (a damaged file, or a parser that was subverted)."""


def _fail(what: str):
    raise TreeError(what)


def _b64(text: Any) -> bytes:
    if type(text) is not str:
        _fail('binary data that is not base64 text')
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        _fail('binary data that is not base64 text')


def _int_list(value: Any, what: str) -> List[int]:
    if type(value) is not list or len(value) > MAX_NDIM or any(
            type(v) is not int or v < 0 for v in value):
        _fail(f'a {what} that is not a short list of non-negative ints')
    return value


class TreeBuilder:
    """Turns one parser document into objects; reads tensor bytes from ``fd``.

    Args:
        fd (int): The checkpoint file, open for reading (the same open file the parser saw).
        file_size (int): Its size when it was opened.
        storages (dict): ``key -> [dtype, offset, nbytes, location]`` from the parser.
        map_location: As for :func:`torch.load` (None, a device or its name, a dict of
            location names, or a callable ``(storage, location) -> storage``).
    """

    def __init__(self, fd: int, file_size: int, storages: Any, map_location: Any = None):
        self.fd, self.file_size, self.map_location = fd, file_size, map_location
        if type(storages) is not dict:
            _fail('a storage table that is not a dict')
        end = 0
        for key, entry in sorted(storages.items(), key=lambda kv: _entry_offset(kv[1])):
            dtype, offset, nbytes, location = entry
            if dtype not in TORCH_DTYPES or type(nbytes) is not int or nbytes < 0 \
                    or offset < end or offset + nbytes > file_size \
                    or type(location) is not str or not DEVICE.match(location) \
                    or nbytes % torch.empty(0, dtype=TORCH_DTYPES[dtype]).element_size():
                _fail(f'a bad storage entry for {key!r:.40}')
            end = offset + nbytes
        self.storages = storages
        self.bases: Dict[str, torch.Tensor] = {}

    # ------------------------------------------------------------------ tensors
    def _base(self, key: Any) -> torch.Tensor:
        if key in self.bases:
            return self.bases[key]
        if type(key) is not str or key not in self.storages:
            _fail(f'a tensor of an unknown storage {key!r:.40}')
        dtype, offset, nbytes, location = self.storages[key]
        raw = torch.empty(nbytes, dtype=torch.uint8)
        view, done = memoryview(raw.numpy()), 0
        while done < nbytes:
            n = os.preadv(self.fd, [view[done:]], offset + done)
            if n <= 0:
                _fail(f'the file ended inside tensor data {key!r}')
            done += n
        base = self._place(raw, location).view(TORCH_DTYPES[dtype])
        self.bases[key] = base
        return base

    def _place(self, raw: torch.Tensor, location: str) -> torch.Tensor:
        ml = self.map_location
        if callable(ml) and not isinstance(ml, (str, torch.device)):
            storage = ml(raw.untyped_storage(), location)
            if isinstance(storage, torch.TypedStorage):
                storage = storage.untyped()
            if not isinstance(storage, torch.UntypedStorage):
                raise TypeError('map_location returned something other than a storage')
            return torch.empty(0, dtype=torch.uint8, device=storage.device).set_(storage)
        if isinstance(ml, dict):
            target = ml.get(location, location)
        else:
            target = location if ml is None else ml
        device = torch.device(target)
        if device.type == 'meta':
            _fail('a tensor on the meta device (no data)')
        return raw if device.type == 'cpu' else raw.to(device)

    def _tensor(self, node: list) -> torch.Tensor:
        if len(node) != 7:
            _fail('a malformed tensor')
        _, key, offset, size, stride, requires_grad, is_param = node
        base = self._base(key)
        size, stride = _int_list(size, 'tensor size'), _int_list(stride, 'tensor stride')
        if type(offset) is not int or offset < 0 or len(size) != len(stride) \
                or type(requires_grad) is not bool or type(is_param) is not bool:
            _fail('a malformed tensor')
        if offset > base.numel() or math.prod(size) and offset + sum(
                (s - 1) * st for s, st in zip(size, stride)) >= base.numel():
            _fail(f'a tensor of size {size} that reaches past its storage')
        if math.prod(size) > max(base.numel(), 1) and any(
                st == 0 and s > 1 for s, st in zip(size, stride)):
            _fail(f'a stride-0 view of size {size} larger than its storage')
        tensor = base.as_strided(size, stride, offset)
        if is_param:
            return torch.nn.Parameter(tensor, requires_grad=requires_grad)
        if requires_grad:
            tensor.requires_grad_(True)
        return tensor

    # ------------------------------------------------------------------ tree
    def key(self, node: Any) -> Any:
        """A dict key or set member: an atom or a flat tuple of atoms."""
        if type(node) is list and len(node) == 2 and node[0] == 'T' and type(node[1]) is list \
                and len(node[1]) <= 64:
            return tuple(self._atom(v) for v in node[1])
        return self._atom(node)

    def _atom(self, node: Any) -> Any:
        if node is None or type(node) in (str, int, float, bool):
            return node
        if type(node) is list and len(node) == 2 and node[0] == 'F' \
                and node[1] in ('nan', 'inf', '-inf'):
            return float(node[1])
        if type(node) is list and len(node) == 2 and node[0] == 'B':
            return _b64(node[1])
        _fail('a dict key or set member that is not a string, number or flat tuple')

    def build(self, node: Any, depth: int = 0) -> Any:
        """The object for ``node`` (see :mod:`checkpoint_parser` for the tags)."""
        if node is None or type(node) in (str, int, float, bool):
            return node
        if depth > MAX_DEPTH:
            _fail('objects nested too deeply')
        if type(node) is not list or not node or type(node[0]) is not str:
            _fail('a node without a tag')
        tag, n = node[0], len(node)
        if tag in ('L', 'T', 'D', 'O', 'CT') and n in (2, 3) and type(node[1]) is list:
            return self._container(tag, node, depth)
        if tag in ('S', 'FS') and n == 2 and type(node[1]) is list:
            kind = set if tag == 'S' else frozenset
            return kind(self.key(k) for k in node[1])
        if tag in ('F', 'B'):
            return self._atom(node)
        if tag == 'BA' and n == 2:
            return bytearray(_b64(node[1]))
        if tag == 'C' and n == 3:
            re_, im = (self._atom(v) for v in node[1:])
            if any(type(v) not in (int, float) for v in (re_, im)):
                _fail('a complex number of non-numbers')
            return complex(re_, im)
        if tag == 'TEN':
            return self._tensor(node)
        if tag == 'TD' and n == 2 and node[1] in TORCH_DTYPES:
            return TORCH_DTYPES[node[1]]
        if tag == 'DEV' and n == 2 and type(node[1]) is str and DEVICE.match(node[1]):
            return torch.device(node[1])
        if tag == 'SZ' and n == 2:
            return torch.Size(_int_list(node[1], 'torch.Size'))
        if tag == 'NPD' and n == 2 and node[1] in NUMPY_DTYPES:
            return np.dtype(node[1])
        if tag == 'NPS' and n == 3 and node[1] in NUMPY_DTYPES:
            data = _b64(node[2])
            if len(data) != np.dtype(node[1]).itemsize:
                _fail('a numpy scalar of the wrong size')
            return np.frombuffer(data, dtype=np.dtype(node[1]), count=1)[0].copy()
        if tag == 'NDA' and n == 5:
            return self._array(node)
        if tag == 'HB' and n == 4 and type(node[1]) is int and node[1] > 0:
            from mmengine.logging import HistoryBuffer
            log, count = self._array(node[2]), self._array(node[3])
            if log.ndim != 1 or log.shape != count.shape:
                _fail('a HistoryBuffer with mismatched histories')
            return HistoryBuffer(log, count, node[1])
        _fail(f'an unknown node {tag!r:.20}')

    def _array(self, node: Any) -> np.ndarray:
        if type(node) is not list or len(node) != 5 or node[0] != 'NDA' \
                or node[1] not in NUMPY_DTYPES or type(node[3]) is not bool:
            _fail('a malformed numpy array')
        dtype, shape, order = np.dtype(node[1]), _int_list(node[2], 'array shape'), \
            'F' if node[3] else 'C'
        data = _b64(node[4])
        if len(data) != math.prod(shape) * dtype.itemsize:
            _fail('a numpy array whose data does not match its shape')
        array = np.frombuffer(data, dtype=dtype, count=math.prod(shape))
        return array.reshape(shape, order=order).copy(order=order)

    def _container(self, tag: str, node: list, depth: int) -> Any:
        items = node[1]
        if tag in ('L', 'T'):
            if len(node) != 2:
                _fail('a malformed sequence')
            out = [self.build(v, depth + 1) for v in items]
            out = tuple(out) if tag == 'T' else out
        else:
            if (tag == 'O') != (len(node) == 3):
                _fail('a malformed dict')
            out = {'O': OrderedDict, 'CT': Counter, 'D': dict}[tag]()
            for pair in items:
                if type(pair) is not list or len(pair) != 2:
                    _fail('a malformed dict entry')
                out[self.key(pair[0])] = self.build(pair[1], depth + 1)
            if tag == 'O' and node[2] is not None:
                meta = self.build(node[2], depth + 1)
                if not isinstance(meta, dict):
                    _fail('state-dict metadata that is not a dict')
                out._metadata = meta
        return out


def _entry_offset(entry: Any) -> int:
    if type(entry) is not list or len(entry) != 4 or type(entry[1]) is not int or entry[1] < 0:
        _fail('a malformed storage entry')
    return entry[1]


CONFIG_TEXT_PATHS = (('meta', 'config'), ('meta', 'cfg'), ('message_hub', 'runtime_info', 'cfg'))


def drop_config_texts(checkpoint: Any, warn: Callable[[str], None]) -> None:
    """Remove every config text: MMEngine would run it as Python, and even a text of literals
    builds any importable callable through a dotted ``type`` (``type='os.system'``)."""
    if not isinstance(checkpoint, dict):
        return
    dropped = []
    for path in CONFIG_TEXT_PATHS:
        parent = checkpoint
        for part in path[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and path[-1] in parent:
            del parent[path[-1]]
            dropped.append('.'.join(path))
    if dropped:
        warn(', '.join(dropped))


#: What MMPose's ``parse_pose_metainfo`` puts in a dataset's metainfo (and class names). Other
#: keys are dropped: MMPose's inference copies ``dataset_meta`` over every sample
#: (``data_info.update(model.dataset_meta)``), so ``img_path`` there would pick the image read.
DATASET_META_KEYS = frozenset({
    'dataset_name', 'num_keypoints', 'keypoint_id2name', 'keypoint_name2id', 'upper_body_ids',
    'lower_body_ids', 'flip_indices', 'flip_pairs', 'keypoint_colors', 'num_skeleton_links',
    'skeleton_links', 'skeleton_link_colors', 'dataset_keypoint_weights', 'sigmas', 'classes',
    'CLASSES'})
_CKPT_KEYS = re.compile(r'^(best_ckpt(_.+)?|last_ckpt)$')
_CKPT_NAMES = re.compile(r'^(best_.+|epoch_\d+|iter_\d+)\.pth$')


def _share_keypoint_names(meta: Dict) -> None:
    """Make ``keypoint_name2id``'s keys the very strings of ``keypoint_id2name``, as MMPose's
    ``parse_pose_metainfo`` builds them: MMEngine's resume compares ``pickle.dumps`` of the
    checkpoint's and the dataset's metainfo, and pickle writes a shared string once."""
    id2name, name2id = meta.get('keypoint_id2name'), meta.get('keypoint_name2id')
    if not (isinstance(id2name, dict) and isinstance(name2id, dict)):
        return
    names = {v: v for v in id2name.values() if type(v) is str}
    meta['keypoint_name2id'] = type(name2id)(
        (names.get(k, k) if type(k) is str else k, v) for k, v in name2id.items())


def sanitize_runtime_state(checkpoint: Any, filename: str,
                           warn: Callable[[str], None]) -> None:
    """Keep only what cannot name a file or override a sample's fields.

    ``message_hub.runtime_info``: MMEngine's ``CheckpointHook`` deletes ``best_ckpt*`` (a file,
    or with ``rmtree`` a folder) when a better one is saved after resuming, and reads
    ``keep_ckpt_ids`` to delete old epochs. They are kept only if the file is where it was
    saved (its ``last_ckpt`` is ``filename``), paths only if they name a checkpoint file beside
    it, ids only if they are non-negative integers. ``meta.dataset_meta``:
    only :data:`DATASET_META_KEYS`, with its keypoint names shared as MMPose builds them.
    """
    if not isinstance(checkpoint, dict):
        return
    meta = checkpoint.get('meta')
    dataset_meta = meta.get('dataset_meta') if isinstance(meta, dict) else None
    if isinstance(dataset_meta, dict):
        extra = [k for k in dataset_meta if k not in DATASET_META_KEYS]
        for key in extra:
            del dataset_meta[key]
        if extra:
            warn(f'meta.dataset_meta keys {sorted(map(str, extra))} (not dataset metainfo: '
                 'MMPose copies dataset_meta over every sample it predicts)')
        _share_keypoint_names(dataset_meta)
    hub = checkpoint.get('message_hub')
    info = hub.get('runtime_info') if isinstance(hub, dict) else None
    if not isinstance(info, dict):
        return
    # MMEngine writes ``last_ckpt`` = the file's own path: only a checkpoint resumed where it
    # was saved may name files for MMEngine to delete, and only files beside it
    here = osp.abspath(filename)
    in_place = info.get('last_ckpt') == here
    for key in list(info):
        value = info[key]
        if isinstance(key, str) and _CKPT_KEYS.match(key):
            ok = in_place and (type(value) is str and '\0' not in value and osp.isabs(value)
                               and osp.dirname(osp.normpath(value)) == osp.dirname(here)
                               and _CKPT_NAMES.match(osp.basename(value)) is not None)
        elif key == 'keep_ckpt_ids':
            ok = in_place and type(value) is list and all(type(i) is int and i >= 0
                                                          for i in value)
        else:
            continue
        if not ok:
            del info[key]
            warn(f'message_hub.runtime_info.{key} (MMEngine deletes the files it names after '
                 'resuming; kept only in a checkpoint at the path it was saved to, naming '
                 'checkpoints beside it)')
