"""Inert stand-ins for what a torch checkpoint's pickle names (child process only).

Every object the parser creates derives from :class:`Frozen`: the pickle's BUILD and attribute
opcodes cannot change it, and the only ones whose state a file may set (numpy dtype and array,
MMEngine's ``HistoryBuffer``) validate that state like the real constructors would, without
building the real objects.
"""
import math

MAX_NDIM = 32
MAX_KEY_TUPLE = 64  # dict keys / set members: atoms or flat tuples of atoms up to this size
STORAGE_DTYPES = {
    'FloatStorage': ('float32', 4), 'DoubleStorage': ('float64', 8),
    'HalfStorage': ('float16', 2), 'BFloat16Storage': ('bfloat16', 2),
    'LongStorage': ('int64', 8), 'IntStorage': ('int32', 4), 'ShortStorage': ('int16', 2),
    'CharStorage': ('int8', 1), 'ByteStorage': ('uint8', 1), 'BoolStorage': ('bool', 1),
    'ComplexFloatStorage': ('complex64', 8), 'ComplexDoubleStorage': ('complex128', 16),
    'UntypedStorage': ('uint8', 1),
}
TORCH_DTYPES = {name for name, _ in STORAGE_DTYPES.values()} | {
    'float', 'double', 'half', 'long', 'int', 'short', 'cfloat', 'cdouble'}
NUMPY_CODES = {'b1': 1, 'i1': 1, 'i2': 2, 'i4': 4, 'i8': 8, 'u1': 1, 'u2': 2, 'u4': 4,
               'u8': 8, 'f2': 2, 'f4': 4, 'f8': 8, 'c8': 8, 'c16': 16}
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')


class Refused(Exception):
    """The file asks for something this parser does not build (message: what)."""


class Corrupt(Exception):
    """The file is not a readable torch checkpoint (message: what is wrong)."""


def short(value, limit=80):
    """A bounded description of a value from the file: never walks into nested objects."""
    t = type(value)
    if t in (str, bytes):
        text = repr(value[:limit])
    elif t in (int, float, bool, type(None)):
        text = repr(value) if t is not int or abs(value) < 10**30 else 'a huge int'
    elif isinstance(value, Frozen):
        text = value.describe()
    elif t is tuple and len(value) <= 8 and all(
            type(v) in (str, bytes, int, float, bool, type(None)) for v in value):
        text = repr(tuple(v[:20] if type(v) in (str, bytes) else
                          (v if type(v) is not int or abs(v) < 10**30 else 0) for v in value))
    else:
        text = f'a {t.__name__}'
    return text[:limit + 10]


class Frozen:
    """Base of every object this parser creates: BUILD/SETITEM from the file cannot edit it."""

    __slots__ = ()

    def __setattr__(self, name, value):
        raise Refused(f'setting attribute {name!r} of {type(self).__name__}')

    def __setstate__(self, state):
        raise Refused(f'setting the state of {self.describe()}')

    def __call__(self, *args):
        raise Refused(f'a call to {self.describe()}')

    def describe(self):
        return type(self).__name__


class Stub(Frozen):
    """What ``find_class`` returns for an allowed global: a name and a validating builder."""

    __slots__ = ('name', 'build')

    def __init__(self, name, build):
        object.__setattr__(self, 'name', name)
        object.__setattr__(self, 'build', build)

    def __call__(self, *args):
        return self.build(*args)

    def describe(self):
        return self.name


class Record(Frozen):
    """A value to emit under a tag (tensor, storage, numpy value, HistoryBuffer ...)."""

    __slots__ = ('tag', 'fields')

    def __init__(self, tag, *fields):
        object.__setattr__(self, 'tag', tag)
        object.__setattr__(self, 'fields', list(fields))

    def describe(self):
        return f'a {self.tag} record'


class Storage(Frozen):
    __slots__ = ('key', 'dtype', 'itemsize', 'numel', 'location')

    def __init__(self, key, dtype, itemsize, numel, location):
        for k, v in zip(self.__slots__, (key, dtype, itemsize, numel, location)):
            object.__setattr__(self, k, v)


class Marker(Frozen):
    """A class or storage type named by the file, used only as an argument."""

    __slots__ = ('name', 'dtype')

    def __init__(self, name, dtype=None):
        object.__setattr__(self, 'name', name)
        object.__setattr__(self, 'dtype', dtype)

    def describe(self):
        return self.name


class NumpyDtype(Frozen):
    """``numpy.dtype(code, align, copy)`` + its BUILD state: numeric codes and a byte order."""

    __slots__ = ('code', 'order', 'built')

    def __init__(self, code, order='<'):
        for k, v in (('code', code), ('order', order), ('built', False)):
            object.__setattr__(self, k, v)

    def __setstate__(self, state):
        if self.built:
            raise Refused('numpy.dtype state set twice')
        if (type(state) is not tuple or len(state) != 8
                or any(type(v) is not int for v in (state[0], ) + state[5:])
                or state[0] != 3 or state[5:] != (-1, -1, 0)
                or type(state[1]) is not str or state[1] not in '<>|='
                or any(v is not None for v in state[2:5])):
            raise Refused(f'numpy.dtype state {short(state, 120)}: only a byte order is '
                          'accepted (no sub-arrays, fields, names, sizes, alignment, flags or '
                          'metadata)')
        object.__setattr__(self, 'order', '>' if state[1] == '>' else '<')
        object.__setattr__(self, 'built', True)

    @property
    def str(self):
        return ('|' if self.code in ('b1', 'i1', 'u1') else self.order) + self.code

    def describe(self):
        return f'numpy.dtype({self.code!r})'


class NumpyArray(Frozen):
    """``_reconstruct(ndarray, (0,), b'b')`` followed by BUILD ``(1, shape, dtype, F, data)``."""

    __slots__ = ('state', )

    def __init__(self):
        object.__setattr__(self, 'state', None)

    def __setstate__(self, state):
        if self.state is not None:
            raise Refused('numpy array state set twice')
        if type(state) is not tuple or len(state) != 5 or state[0] != 1 \
                or type(state[0]) is not int:
            raise Refused(f'numpy array state of type {type(state).__name__}: expected '
                          "numpy's (1, shape, dtype, is_fortran, data) tuple")
        _, shape, dtype, fortran, data = state
        if (type(shape) is not tuple or len(shape) > MAX_NDIM
                or any(type(s) is not int or s < 0 for s in shape)):
            raise Refused(f'numpy array shape {short(shape)}: expected at most {MAX_NDIM} '
                          'non-negative integers')
        if type(dtype) is not NumpyDtype:
            raise Refused(f'numpy array with dtype {short(dtype)}')
        if type(fortran) is not bool:
            raise Refused('numpy array with a non-boolean fortran-order flag')
        if type(data) not in (bytes, bytearray):
            raise Refused(f'numpy array data of type {type(data).__name__}: only raw bytes of '
                          'a numeric array are loaded')
        need = math.prod(shape) * NUMPY_CODES[dtype.code]
        if need != len(data):
            raise Refused(f'numpy array of shape {short(shape)} and dtype {dtype.code} needs '
                          f'{need} bytes, the file gives {len(data)}')
        object.__setattr__(self, 'state', (list(shape), dtype.str, fortran, bytes(data)))

    def record(self):
        if self.state is None:
            raise Refused('a numpy array without data (created but never filled)')
        shape, dtype, fortran, data = self.state
        return Record('NDA', dtype, shape, fortran, data)


class StatisticRef(Frozen):
    """``getattr(HistoryBuffer, 'mean')`` in a file: a name, nothing callable."""

    __slots__ = ('stat', )

    def __init__(self, stat):
        object.__setattr__(self, 'stat', stat)


class FrozenClass(type):
    """Metaclass of the stand-in classes a file may name: SETITEM/attributes refused."""

    def __setattr__(cls, name, value):
        raise Refused(f'setting attribute {name!r} of the {cls.__name__} class')

    def __setitem__(cls, key, value):
        raise Refused(f'SETITEM on the {cls.__name__} class')


class HistoryBuffer(Frozen, metaclass=FrozenClass):
    """Stand-in for MMEngine's ``HistoryBuffer`` (created by NEWOBJ, filled by BUILD)."""

    __slots__ = ('state', )

    def __new__(cls, *args):
        if args:
            raise Refused('HistoryBuffer created with arguments')
        self = object.__new__(cls)
        object.__setattr__(self, 'state', None)
        return self

    def __setstate__(self, state=None):
        if type(self) is not HistoryBuffer:  # BUILD on the class itself
            raise Refused('setting the state of the HistoryBuffer class')
        if self.state is not None:
            raise Refused('HistoryBuffer state set twice')
        if type(state) is not dict:
            raise Refused(f'HistoryBuffer state of type {type(state).__name__}: expected a '
                          'dict')
        required = {'max_length', '_log_history', '_count_history'}
        keys = set(state)
        if keys - required - {'statistics_methods'} or not required <= keys:
            raise Refused(f'HistoryBuffer state with keys {sorted(map(short, keys))}: '
                          f'expected {sorted(required)} and optionally statistics_methods')
        methods = state.get('statistics_methods', {})
        if type(methods) is not dict or any(
                type(k) is not str or type(v) is not StatisticRef or v.stat != k
                for k, v in methods.items()):
            raise Refused('HistoryBuffer statistics_methods other than the built-in '
                          f'{"/".join(HISTORY_BUFFER_STATISTICS)}')
        max_length = state['max_length']
        if type(max_length) is not int or max_length <= 0:
            raise Refused(f'HistoryBuffer max_length {short(max_length)}: expected a positive '
                          'int')
        arrays = []
        for key in ('_log_history', '_count_history'):
            value = state[key]
            if type(value) is not NumpyArray or value.state is None or len(
                    value.state[0]) != 1 or value.state[1][1] not in 'biuf':
                raise Refused(f'HistoryBuffer {key}: expected a 1-D numeric numpy array')
            arrays.append(value.record())
        if arrays[0].fields[1] != arrays[1].fields[1]:
            raise Refused('HistoryBuffer _log_history and _count_history differ in length')
        object.__setattr__(self, 'state', (max_length, arrays[0], arrays[1]))

    def record(self):
        if self.state is None:
            raise Refused('HistoryBuffer without state')
        return Record('HB', *self.state)


# --------------------------------------------------------------------------- builders
