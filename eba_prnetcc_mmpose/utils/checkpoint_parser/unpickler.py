"""The restricted unpickler: which globals a checkpoint may name and what each becomes.
"""
import _compat_pickle
import math
import pickle
from collections import Counter, OrderedDict

from stand_ins import (HISTORY_BUFFER_STATISTICS, MAX_NDIM, NUMPY_CODES, STORAGE_DTYPES,
                       TORCH_DTYPES, Corrupt, HistoryBuffer, Marker, NumpyArray,
                       NumpyDtype, Record, Refused, StatisticRef, Storage, Stub, short)


def _args(name, args, n_min, n_max=None):
    if not n_min <= len(args) <= (n_min if n_max is None else n_max):
        raise Refused(f'{name} with {len(args)} arguments')


def _ints(value, what, allow_empty=True):
    if type(value) is Record and value.tag == 'SZ':
        value = tuple(value.fields[0])
    if type(value) is not tuple or len(value) > MAX_NDIM or (not allow_empty and not value) \
            or any(type(v) is not int or v < 0 for v in value):
        raise Refused(f'{what} {short(value)}: expected up to {MAX_NDIM} non-negative ints')
    return list(value)


def _hooks_ok(hooks):
    # tensor hooks are never restored; torch writes an empty OrderedDict here
    if type(hooks) not in (OrderedDict, dict) or len(hooks):
        raise Refused('a tensor with backward hooks (functions from the file)')


def rebuild_tensor_v2(*args):
    _args('torch._utils._rebuild_tensor_v2', args, 6, 7)
    storage, offset, size, stride, requires_grad, hooks = args[:6]
    if type(storage) is not Storage:
        raise Refused(f'_rebuild_tensor_v2 of {short(storage)} (expected a storage)')
    if type(offset) is not int or offset < 0 or type(requires_grad) is not bool:
        raise Refused('_rebuild_tensor_v2 with a bad offset or requires_grad')
    size, stride = _ints(size, 'tensor size'), _ints(stride, 'tensor stride')
    if len(size) != len(stride):
        raise Refused('a tensor whose size and stride differ in length')
    _hooks_ok(hooks)
    if len(args) == 7 and args[6] not in (None, {}) and not (
            type(args[6]) in (dict, OrderedDict) and not args[6]):
        raise Refused('a tensor with metadata (conjugate/negative bits)')
    if math.prod(size) and offset + sum((s - 1) * st for s, st in zip(size, stride)) \
            >= storage.numel:
        raise Corrupt(f'a tensor of size {size} reaches past its storage of {storage.numel} '
                      'elements')
    return Record('TEN', storage, offset, size, stride, requires_grad, False)


def rebuild_parameter(*args):
    _args('torch._utils._rebuild_parameter', args, 3, 4)
    data, requires_grad, hooks = args[:3]
    if type(data) is not Record or data.tag != 'TEN' or type(requires_grad) is not bool:
        raise Refused(f'a Parameter of {short(data)}')
    _hooks_ok(hooks)  # a 4th argument (Python attributes of the Parameter) is dropped
    fields = list(data.fields)
    fields[4], fields[5] = requires_grad, True
    return Record('TEN', *fields)


def rebuild_from_type_v2(*args):
    _args('torch._tensor._rebuild_from_type_v2', args, 4)
    func, new_type, func_args, _state = args  # Python attributes of the tensor are dropped
    if type(func) is not Stub or func.name not in ('torch._utils._rebuild_tensor_v2',
                                                   'torch._utils._rebuild_parameter'):
        raise Refused(f'_rebuild_from_type_v2 calling {short(func)}')
    if type(new_type) is not Marker or new_type.name not in (
            'torch.Tensor', 'torch.nn.parameter.Parameter'):
        raise Refused(f'_rebuild_from_type_v2 making {short(new_type)}')
    if type(func_args) is not tuple:
        raise Refused('_rebuild_from_type_v2 with non-tuple arguments')
    out = func(*func_args)
    if new_type.name.endswith('Parameter'):
        out.fields[5] = True
    return out


def make_bytes(*args):
    if args:
        raise Refused('bytes() with arguments (protocol 2 only writes bytes() for b"")')
    return b''


def make_bytearray(*args):
    if len(args) == 0:
        return bytearray()
    if type(args[0]) is bytes and len(args) == 1:
        return bytearray(args[0])
    if type(args[0]) is str and args[1:] in (('latin-1', ), ('latin1', )):
        return bytearray(args[0].encode('latin1'))
    raise Refused(f'bytearray({short(args[0])}): only from bytes (never a size)')


def codecs_encode(*args):
    if len(args) == 2 and type(args[0]) is str and args[1] in ('latin1', 'latin-1'):
        return args[0].encode('latin1')
    raise Refused(f'_codecs.encode with {short(args[1] if len(args) > 1 else None)} '
                  '(only latin1, how protocol 2 writes bytes)')


def make_container(kind):
    def build(*args):
        if len(args) > 1 or (args and type(args[0]) not in (list, tuple, set, frozenset)):
            raise Refused(f'{kind.__name__}() from {short(args[0] if args else None)}')
        return kind(*args)
    return build


def make_ordered_dict(*args):
    if args and (len(args) > 1 or type(args[0]) not in (list, tuple)):
        raise Refused('OrderedDict() with arguments other than a list of pairs')
    return OrderedDict(*args)


def make_counter(*args):
    if args and (len(args) > 1 or type(args[0]) is not dict):
        raise Refused('Counter() with arguments other than a dict')
    return Counter(*args)


def make_complex(*args):
    if len(args) != 2 or any(type(a) not in (int, float) for a in args):
        raise Refused('complex() from non-numbers')
    return complex(*args)


def make_device(*args):
    if not 1 <= len(args) <= 2 or type(args[0]) is not str or len(args[0]) > 32 or (
            len(args) == 2 and (type(args[1]) is not int or not 0 <= args[1] < 2**16)):
        raise Refused('torch.device() with arguments other than a short name and an index')
    return Record('DEV', args[0] if len(args) == 1 else f'{args[0]}:{args[1]}')


def make_size(*args):
    _args('torch.Size', args, 0, 1)
    return Record('SZ', _ints(tuple(args[0]) if args and type(args[0]) in (list, tuple)
                              else (args[0] if args else ()), 'torch.Size'))


def make_numpy_dtype(*args):
    if not 1 <= len(args) <= 3:
        raise Refused(f'numpy.dtype with {len(args)} arguments')
    code = args[0]
    if type(code) is not str or code not in NUMPY_CODES:
        raise Refused(f'numpy.dtype({short(code)}): only numeric dtypes '
                      f'({", ".join(sorted(NUMPY_CODES))}) are loaded')
    if any(type(f) is not bool for f in args[1:]):
        raise Refused(f'numpy.dtype({code!r}, ...) with non-boolean align/copy arguments')
    return NumpyDtype(code)


def reconstruct_array(*args):
    if len(args) != 3 or type(args[0]) is not Marker or args[0].name != 'numpy.ndarray' \
            or args[1] != (0, ) or args[2] not in (b'b', 'b'):
        raise Refused('numpy _reconstruct with arguments other than (numpy.ndarray, (0,), b"b")')
    return NumpyArray()


def make_scalar(*args):
    _args('numpy scalar', args, 1, 2)
    dtype, data = args[0], (args[1] if len(args) == 2 else None)
    if type(dtype) is not NumpyDtype:
        raise Refused(f'numpy scalar with dtype {short(dtype)}')
    if type(data) is str:  # protocol-2 pickles written by Python 2 carry latin-1 strings
        data = data.encode('latin1')
    if type(data) not in (bytes, bytearray) or len(data) != NUMPY_CODES[dtype.code]:
        raise Refused(f'numpy scalar of dtype {dtype.code} needs {NUMPY_CODES[dtype.code]} '
                      'raw bytes')
    return Record('NPS', dtype.str, bytes(data))


def statistic_ref(*args):
    if len(args) != 2 or args[0] is not HistoryBuffer or type(args[1]) is not str \
            or args[1] not in HISTORY_BUFFER_STATISTICS:
        what = short(args[0]) if args and args[0] is not HistoryBuffer else \
            'mmengine.logging.history_buffer.HistoryBuffer'
        raise Refused(f'getattr({what}, {short(args[1]) if len(args) > 1 else ""}): attribute '
                      'access is only allowed for HistoryBuffer.'
                      f'{"/".join(HISTORY_BUFFER_STATISTICS)}')
    return StatisticRef(args[1])


def refuse_call(what):
    def build(*args):
        raise Refused(what)
    return build


def _globals():
    table = {
        'collections.OrderedDict': make_ordered_dict, 'collections.Counter': make_counter,
        'torch._utils._rebuild_tensor_v2': rebuild_tensor_v2,
        'torch._utils._rebuild_parameter': rebuild_parameter,
        'torch._utils._rebuild_parameter_with_state': rebuild_parameter,
        'torch._tensor._rebuild_from_type_v2': rebuild_from_type_v2,
        'torch.device': make_device, 'torch.Size': make_size,
        'builtins.bytes': make_bytes, 'builtins.bytearray': make_bytearray,
        '_codecs.encode': codecs_encode, 'builtins.complex': make_complex,
        'builtins.set': make_container(set), 'builtins.frozenset': make_container(frozenset),
        'builtins.getattr': statistic_ref,
        'numpy.dtype': make_numpy_dtype,
    }
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):  # numpy 1 and 2
        table[f'{module}._reconstruct'] = reconstruct_array
        table[f'{module}.scalar'] = make_scalar
    for kind in ('qtensor', 'sparse_tensor', 'nested_tensor', 'wrapper_subclass',
                 'meta_tensor_no_storage', 'device_tensor_from_numpy', 'tensor_v3',
                 'device_tensor_from_cpu_tensor', 'tensor'):
        table[f'torch._utils._rebuild_{kind}'] = refuse_call(
            f'torch._utils._rebuild_{kind} (only dense tensors of the common dtypes are loaded)')
    return table


GLOBALS = _globals()
MARKERS = {'torch.Tensor', 'torch.nn.parameter.Parameter', 'numpy.ndarray'}


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that resolves globals to stand-ins and storages to :class:`Storage`."""

    def __init__(self, file, storage_id):
        super().__init__(file, encoding='latin1')
        self.storage_id = storage_id
        self.storages = {}

    def find_class(self, module, name):
        if type(module) is not str or type(name) is not str:
            raise Refused('a global with a non-string name')
        # Python 2 names that protocol-2 pickles use for builtins (pickle's fix_imports)
        module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        dotted = f'{module}.{name}'
        if dotted == 'mmengine.logging.history_buffer.HistoryBuffer':
            return HistoryBuffer
        if dotted in GLOBALS:
            return Stub(dotted, GLOBALS[dotted])
        if dotted in MARKERS:
            return Marker(dotted)
        if module == 'torch' and name in STORAGE_DTYPES:
            return Marker(dotted, STORAGE_DTYPES[name])
        if module == 'torch' and name in TORCH_DTYPES:
            return Record('TD', name)
        raise Refused(f'the global {dotted[:120]}')

    def persistent_load(self, pid):
        if type(pid) is not tuple or not pid or pid[0] not in ('storage', b'storage'):
            raise Refused(f'persistent_load {short(pid)}')
        storage_type, key, location, numel = self.storage_id(pid)
        if type(storage_type) is not Marker or storage_type.dtype is None:
            raise Refused(f'a storage of type {short(storage_type)}')
        if type(location) is bytes:
            location = location.decode('ascii', 'replace')
        if type(key) is not str or not 0 < len(key) <= 64 or type(location) is not str \
                or len(location) > 32 or type(numel) is not int or numel < 0:
            raise Corrupt(f'a malformed storage record {short(pid)}')
        dtype, itemsize = storage_type.dtype
        if key in self.storages:
            known = self.storages[key]
            if (known.dtype, known.numel) != (dtype, numel):
                raise Corrupt(f'storage {key!r} declared twice with different types or sizes')
            return known
        storage = Storage(key, dtype, itemsize, numel, location)
        self.storages[key] = storage
        return storage
