"""Narrow, validating stand-ins for the few non-tensor globals an MMEngine checkpoint holds.

torch's weights-only unpickler (``torch.load(weights_only=True)``) resolves every ``GLOBAL`` in
a pickle by its dotted name through an allow-list. :func:`restricted_globals` maps the names an
MMEngine ``Runner`` checkpoint needs beyond torch's defaults to *our* objects, never to the real
numpy / MMEngine callables:

======================================================  =========================================
name in the file                                        what it resolves to here
======================================================  =========================================
``numpy.dtype``                                         :class:`DtypeStub` (numeric codes only)
``numpy.ndarray``                                       :class:`ArrayStub`
``numpy.core.multiarray._reconstruct`` (and numpy 2's   :func:`reconstruct_array` (``ArrayStub``)
``numpy._core.multiarray._reconstruct``)
``numpy.core.multiarray.scalar`` (and ``numpy._core``)  :func:`make_scalar` (numeric scalar)
``mmengine.logging.history_buffer.HistoryBuffer``       :class:`HistoryBufferStub`
``builtins.getattr``                                    :func:`statistic_ref`: only
                                                        ``getattr(HistoryBuffer, 'min' | 'max' |
                                                        'current' | 'mean')``, as a name
``builtins.bytes``                                      :func:`empty_bytes`: ``bytes()`` only
======================================================  =========================================

The stubs are inert (``__slots__``, no behaviour beyond validation) and each accepts its state
once. Nothing from the file reaches numpy's own ``__setstate__``, a dtype's flags, a class
attribute or a generic callable: arrays are rebuilt with ``np.frombuffer`` from a validated
numeric dtype and a byte string whose length must equal ``prod(shape) * itemsize``;
``HistoryBuffer`` objects are rebuilt through their public constructor from plain numbers, so the
class-level ``_statistics_methods`` table is never written from a file. After unpickling,
:func:`resolve` replaces every stub in the loaded containers by the real object, and refuses a
file that leaves one half-built.

Every refusal raises :class:`RefusedConstruct` with a sentence saying what was refused.
"""
import math
from collections import OrderedDict
from typing import Any, Dict, List, Tuple

import numpy as np
import torch

# numpy type codes the stand-ins accept: booleans, integers, floats and complex numbers. No
# object ('O'), void/structured ('V'), string, datetime or user dtypes.
NUMERIC_DTYPE_CODES = frozenset(
    ['b1', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2', 'u4', 'u8', 'f2', 'f4', 'f8', 'c8', 'c16'])
BYTE_ORDERS = frozenset('<>|=')
MAX_NDIM = 32
#: HistoryBuffer statistics that ``getattr(HistoryBuffer, name)`` may name in a file.
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')
MAX_RESOLVE_DEPTH = 100


class RefusedConstruct(Exception):
    """A construct in a pickle that the restricted loader does not build (with the reason)."""


def _refuse(msg: str):
    raise RefusedConstruct(msg)


class DtypeStub:
    """Stand-in for ``numpy.dtype(code, align, copy)``: numeric codes only, no flags."""

    __slots__ = ('value', '_built')

    def __new__(cls, *args):
        if len(args) == 0:  # NEWOBJ without arguments: an empty stub that BUILD cannot fill
            _refuse('numpy.dtype without a type code')
        if len(args) > 3:
            _refuse(f'numpy.dtype with {len(args)} arguments')
        code = args[0]
        flags = args[1:]
        if type(code) is not str or code not in NUMERIC_DTYPE_CODES:
            _refuse(f'numpy.dtype({code!r}): only numeric dtypes '
                    f'({", ".join(sorted(NUMERIC_DTYPE_CODES))}) are loaded')
        if any(type(f) is not bool for f in flags):
            _refuse(f'numpy.dtype({code!r}, ...) with non-boolean align/copy arguments')
        self = object.__new__(cls)
        self.value = np.dtype(code)
        self._built = False
        return self

    def __setstate__(self, state: Any) -> None:
        """Accept numpy's version-3 state of a plain numeric dtype: a byte order, nothing else."""
        if self._built:
            _refuse('numpy.dtype state set twice')
        if (type(state) is not tuple or len(state) != 8
                or any(type(v) is not int for v in (state[0], ) + state[5:])
                or state[0] != 3 or state[5:] != (-1, -1, 0)
                or type(state[1]) is not str or state[1] not in BYTE_ORDERS
                or any(v is not None for v in state[2:5])):
            _refuse(f'numpy.dtype state {state!r:.120}: only a byte order is accepted '
                    '(no sub-arrays, fields, names, sizes, alignment, flags or metadata)')
        if state[1] in '<>':
            self.value = self.value.newbyteorder(state[1])
        self._built = True


class ArrayStub:
    """Stand-in for a numpy array under construction (``_reconstruct`` followed by BUILD)."""

    __slots__ = ('value', )

    def __new__(cls, *args):
        if args:
            _refuse('numpy.ndarray created with arguments')
        self = object.__new__(cls)
        self.value = None
        return self

    def __setstate__(self, state: Any) -> None:
        """Rebuild ``(version, shape, dtype, is_fortran, rawdata)`` with ``np.frombuffer``."""
        if self.value is not None:
            _refuse('numpy array state set twice')
        if type(state) is not tuple or len(state) != 5 or type(state[0]) is not int \
                or state[0] != 1:
            _refuse(f'numpy array state of type {type(state).__name__}: expected numpy\'s '
                    '(1, shape, dtype, is_fortran, data) tuple')
        _, shape, dtype, fortran, data = state
        if (type(shape) is not tuple or len(shape) > MAX_NDIM
                or any(type(s) is not int or s < 0 for s in shape)):
            _refuse(f'numpy array shape {shape!r:.80}: expected at most {MAX_NDIM} '
                    'non-negative integers')
        if type(dtype) is not DtypeStub:
            _refuse(f'numpy array with dtype of type {type(dtype).__name__}')
        if type(fortran) is not bool:
            _refuse('numpy array with a non-boolean fortran-order flag')
        if type(data) not in (bytes, bytearray):
            _refuse(f'numpy array data of type {type(data).__name__}: only raw bytes of a '
                    'numeric array are loaded')
        count = math.prod(shape)
        if count * dtype.value.itemsize != len(data):
            _refuse(f'numpy array of shape {shape} and dtype {dtype.value} needs '
                    f'{count * dtype.value.itemsize} bytes, the file gives {len(data)}')
        array = np.frombuffer(bytes(data), dtype=dtype.value, count=count)
        self.value = array.reshape(shape, order='F' if fortran else 'C').copy(
            order='F' if fortran else 'C')


def reconstruct_array(subtype: Any, shape: Any, code: Any) -> ArrayStub:
    """Stand-in for ``numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')``."""
    if subtype is not ArrayStub or type(shape) is not tuple or len(shape) != 1 \
            or type(shape[0]) is not int or shape[0] != 0 or type(code) not in (bytes, str) \
            or code not in (b'b', 'b'):
        _refuse('numpy _reconstruct with arguments other than (numpy.ndarray, (0,), b"b")')
    return ArrayStub()


def make_scalar(dtype: Any, data: Any = None) -> np.generic:
    """Stand-in for ``numpy.core.multiarray.scalar(dtype, raw_bytes)``: numeric scalars only."""
    if type(dtype) is not DtypeStub:
        _refuse(f'numpy scalar with dtype of type {type(dtype).__name__}')
    if type(data) is str:  # protocol-2 pickles written by Python 2 carry latin-1 strings
        data = data.encode('latin1')
    if type(data) not in (bytes, bytearray) or len(data) != dtype.value.itemsize:
        _refuse(f'numpy scalar of dtype {dtype.value} needs {dtype.value.itemsize} raw bytes')
    return np.frombuffer(bytes(data), dtype=dtype.value, count=1)[0].copy()


def empty_bytes(*args) -> bytes:
    """Stand-in for ``builtins.bytes``: protocol 2 writes ``b''`` as ``bytes()``."""
    if args:
        _refuse('bytes() with arguments (protocol 2 only writes bytes() for b"")')
    return b''


class StatisticRef:
    """What ``getattr(HistoryBuffer, 'mean')`` in a file becomes: the name, nothing callable."""

    __slots__ = ('name', )

    def __new__(cls, *args):
        _refuse('StatisticRef created from a file')


def statistic_ref(owner: Any, name: Any, *default) -> StatisticRef:
    """Stand-in for ``builtins.getattr``: only ``getattr(HistoryBuffer, <statistic>)``."""
    if owner is not HistoryBufferStub or default or type(name) is not str \
            or name not in HISTORY_BUFFER_STATISTICS:
        _refuse(f'getattr({display_name(owner)}, {name!r:.40}): '
                'attribute access is only allowed for '
                f'HistoryBuffer.{"/".join(HISTORY_BUFFER_STATISTICS)}')
    ref = object.__new__(StatisticRef)
    ref.name = name
    return ref


def display_name(obj: Any) -> str:
    """How the file names ``obj``: stand-ins by the global they replace."""
    names = {stub: name for stub, name in restricted_globals()}
    if obj in names.keys():
        return names[obj]
    module = getattr(obj, '__module__', None)
    name = getattr(obj, '__qualname__', None)
    if module and name:
        return f'{module}.{name}'
    return f'a {type(obj).__name__} object'


class HistoryBufferStub:
    """Stand-in for MMEngine's ``HistoryBuffer``: numbers in, a real HistoryBuffer out."""

    __slots__ = ('log_history', 'count_history', 'max_length')

    def __new__(cls, *args):
        if args:
            _refuse('HistoryBuffer created with arguments')
        self = object.__new__(cls)
        self.max_length = None
        return self

    def __setstate__(self, state: Any) -> None:
        """Accept ``max_length``, ``_log_history``, ``_count_history`` (+ statistic names)."""
        if self.max_length is not None:
            _refuse('HistoryBuffer state set twice')
        if type(state) is not dict:
            _refuse(f'HistoryBuffer state of type {type(state).__name__}: expected a dict')
        required = {'max_length', '_log_history', '_count_history'}
        unknown = set(state) - required - {'statistics_methods'}
        if unknown or not required <= set(state):
            _refuse(f'HistoryBuffer state with keys {sorted(map(repr, state))}: expected '
                    f'{sorted(required)} and optionally statistics_methods')
        methods = state.get('statistics_methods', {})
        if type(methods) is not dict or any(
                type(k) is not str or type(v) is not StatisticRef or v.name != k
                for k, v in methods.items()):
            _refuse('HistoryBuffer statistics_methods other than the built-in '
                    f'{"/".join(HISTORY_BUFFER_STATISTICS)}')
        max_length = state['max_length']
        if type(max_length) is not int or max_length <= 0:
            _refuse(f'HistoryBuffer max_length {max_length!r:.40}: expected a positive int')
        histories = []
        for key in ('_log_history', '_count_history'):
            value = state[key]
            if type(value) is ArrayStub and value.value is not None:
                value = value.value
            if type(value) is not np.ndarray or value.ndim != 1 or value.dtype.kind not in 'biuf':
                _refuse(f'HistoryBuffer {key}: expected a 1-D numeric numpy array')
            histories.append(value)
        if len(histories[0]) != len(histories[1]):
            _refuse('HistoryBuffer _log_history and _count_history differ in length')
        self.log_history, self.count_history = histories
        self.max_length = max_length

    def build(self):
        """The real ``HistoryBuffer``, made by its public constructor."""
        from mmengine.logging import HistoryBuffer
        if self.max_length is None:
            _refuse('HistoryBuffer without state')
        return HistoryBuffer(self.log_history, self.count_history, self.max_length)


def restricted_globals() -> List[Tuple[Any, str]]:
    """``(stand-in, dotted name)`` pairs for ``torch.serialization.safe_globals``."""
    pairs = [(DtypeStub, 'numpy.dtype'), (ArrayStub, 'numpy.ndarray'),
             (HistoryBufferStub, 'mmengine.logging.history_buffer.HistoryBuffer'),
             (statistic_ref, 'builtins.getattr'), (empty_bytes, 'builtins.bytes')]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):  # numpy 1 and 2
        pairs.append((reconstruct_array, f'{module}._reconstruct'))
        pairs.append((make_scalar, f'{module}.scalar'))
    return pairs


_STUB_TYPES = (DtypeStub, ArrayStub, HistoryBufferStub, StatisticRef)


def _final(stub: Any) -> Any:
    if type(stub) is DtypeStub:
        return stub.value
    if type(stub) is ArrayStub:
        if stub.value is None:
            _refuse('a numpy array without data (created but never filled)')
        return stub.value
    if type(stub) is HistoryBufferStub:
        return stub.build()
    _refuse(f'a stray {type(stub).__name__} outside a HistoryBuffer')


def resolve(obj: Any) -> Any:
    """Replace the stubs in what the unpickler returned by the real objects.

    Walks dicts (incl. ``OrderedDict``), lists, tuples, sets and tensors' attribute dicts; lists
    and dicts are updated in place so shared references and cycles stay as the file made them.
    """
    memo: Dict[int, Any] = {}

    def walk(x: Any, depth: int) -> Any:
        if depth > MAX_RESOLVE_DEPTH:
            _refuse(f'containers nested deeper than {MAX_RESOLVE_DEPTH} levels')
        t = type(x)
        if t in _STUB_TYPES:
            if id(x) not in memo:
                memo[id(x)] = _final(x)
            return memo[id(x)]
        if t in (str, bytes, int, float, bool, complex, type(None)):
            return x
        if id(x) in memo:
            return memo[id(x)]
        if isinstance(x, dict):
            memo[id(x)] = x
            for k in list(x.keys()):
                if type(k) in _STUB_TYPES:
                    _refuse(f'a {type(k).__name__} used as a dict key')
                x[k] = walk(x[k], depth + 1)
            if isinstance(x, OrderedDict) and vars(x):
                walk(vars(x), depth + 1)
            return x
        if t is list:
            memo[id(x)] = x
            for i, item in enumerate(x):
                x[i] = walk(item, depth + 1)
            return x
        if t is tuple:
            out = tuple(walk(item, depth + 1) for item in x)
            memo[id(x)] = out
            return out
        if t in (set, frozenset):
            if any(type(item) in _STUB_TYPES for item in x):
                _refuse('a numpy or HistoryBuffer object inside a set')
            return x
        if isinstance(x, torch.Tensor):
            memo[id(x)] = x
            extra = getattr(x, '__dict__', None)
            if extra:
                walk(extra, depth + 1)
            return x
        return x

    return walk(obj, 0)
