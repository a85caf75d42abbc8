"""Hand-assembled pickles for the checkpoint attack suite (generated at test time, never stored).

:class:`Asm` writes protocol-2 opcodes one by one, so a test can build exactly the construct an
attacker would (a REDUCE on ``os.system``, a BUILD with hostile state, ...). :func:`as_zip` and
:func:`as_legacy` wrap a pickle in the two file formats ``torch.load`` reads.
"""
import io
import pickle
import struct
import zipfile
from typing import Callable, Dict


class Asm:
    """A tiny pickle assembler (protocol 2)."""

    def __init__(self):
        self.out = bytearray(b'\x80\x02')

    def op(self, code: bytes) -> 'Asm':
        self.out += code
        return self

    def glob(self, module: str, name: str) -> 'Asm':
        return self.op(b'c' + f'{module}\n{name}\n'.encode())

    def str(self, s: str) -> 'Asm':
        data = s.encode('utf-8', 'surrogatepass')
        return self.op(b'X' + struct.pack('<I', len(data)) + data)

    def int(self, i: int) -> 'Asm':
        return self.op(b'J' + struct.pack('<i', i)) if -2**31 <= i < 2**31 else \
            self.op(pickle.dumps(i, protocol=2)[2:-1])

    def bytes(self, b: bytes) -> 'Asm':
        """``bytes`` the way protocol 2 writes them: ``_codecs.encode(latin-1 str, 'latin1')``."""
        return self.glob('_codecs', 'encode').str(b.decode('latin1')).str('latin1').tuple2() \
            .reduce()

    def none(self): return self.op(b'N')
    def true(self): return self.op(b'\x88')
    def false(self): return self.op(b'\x89')
    def mark(self): return self.op(b'(')
    def tuple(self): return self.op(b't')
    def tuple1(self): return self.op(b'\x85')
    def tuple2(self): return self.op(b'\x86')
    def tuple3(self): return self.op(b'\x87')
    def empty_tuple(self): return self.op(b')')
    def empty_dict(self): return self.op(b'}')
    def empty_list(self): return self.op(b']')
    def reduce(self): return self.op(b'R')
    def build(self): return self.op(b'b')
    def newobj(self): return self.op(b'\x81')
    def setitem(self): return self.op(b's')
    def setitems(self): return self.op(b'u')
    def append(self): return self.op(b'a')
    def put(self, i: int): return self.op(b'q' + bytes([i]))
    def get(self, i: int): return self.op(b'h' + bytes([i]))

    def stop(self) -> bytes:
        return bytes(self.out + b'.')

    # composite pieces -------------------------------------------------------------------
    def call(self, module: str, name: str, *args: Callable[['Asm'], 'Asm']) -> 'Asm':
        """``module.name(*args)``: each arg is a function that pushes one value."""
        self.glob(module, name).mark()
        for push in args:
            push(self)
        return self.tuple().reduce()

    def np_dtype(self, code: str = 'f8', state=(3, '<', None, None, None, -1, -1, 0)) -> 'Asm':
        self.glob('numpy', 'dtype').str(code).false().true().tuple3().reduce()
        if state is not None:
            self.push_tuple(state).build()
        return self

    def push(self, value) -> 'Asm':
        if value is None:
            return self.none()
        if value is True:
            return self.true()
        if value is False:
            return self.false()
        if isinstance(value, int):
            return self.int(value)
        if isinstance(value, str):
            return self.str(value)
        if isinstance(value, bytes):
            return self.bytes(value)
        if isinstance(value, tuple):
            return self.push_tuple(value)
        raise TypeError(value)

    def push_tuple(self, values) -> 'Asm':
        self.mark()
        for v in values:
            self.push(v)
        return self.tuple()

    def np_array(self, shape=(2, ), code='f8', data=b'\0' * 16, fortran=False,
                 module='numpy._core.multiarray', dtype_state=(3, '<', None, None, None, -1,
                                                                -1, 0)) -> 'Asm':
        self.glob(module, '_reconstruct').glob('numpy', 'ndarray').int(0).tuple1() \
            .bytes(b'b').tuple3().reduce()
        self.mark().int(1).push_tuple(shape).np_dtype(code, dtype_state)
        (self.true() if fortran else self.false())
        return self.bytes(data).tuple().build()


def as_zip(payload: bytes) -> bytes:
    """A torch zip-format checkpoint whose ``data.pkl`` is ``payload``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', payload)
        z.writestr('archive/byteorder', 'little')
        z.writestr('archive/version', '3\n')
    return buf.getvalue()


def as_legacy(payload: bytes) -> bytes:
    """A torch legacy-format (pre-1.6, non-zip) checkpoint whose main pickle is ``payload``."""
    header = [0x1950a86a20f9469cfc6c, 1001,
              dict(protocol_version=1001, little_endian=True,
                   type_sizes=dict(short=2, int=4, long=4))]
    return b''.join(pickle.dumps(h, protocol=2) for h in header) + payload + \
        pickle.dumps([], protocol=2)


FORMATS: Dict[str, Callable[[bytes], bytes]] = dict(zip=as_zip, legacy=as_legacy)


def _hb(a: Asm) -> Asm:
    return a.glob('mmengine.logging.history_buffer', 'HistoryBuffer')


def _hb_state(a: Asm, extra=None, methods=True, log=b'\0' * 8) -> Asm:
    """Push a HistoryBuffer state dict; ``extra`` pushes more key/value pairs."""
    a.empty_dict().mark().str('max_length').int(10).str('_log_history')
    a.np_array(shape=(len(log) // 8, ), data=log)
    a.str('_count_history').np_array(shape=(len(log) // 8, ), data=log)
    if methods:
        a.str('statistics_methods').empty_dict().mark().str('mean')
        _hb(a.glob('builtins', 'getattr')).str('mean').tuple2().reduce().setitems()
    if extra:
        extra(a)
    return a.setitems()


def _new_hb(a: Asm) -> Asm:
    return _hb(a).empty_tuple().newobj()


def attacks(marker: str, secret: str) -> Dict[str, bytes]:
    """Hostile pickles. ``marker``: a path a successful attack would create; ``secret``: a
    file whose content a successful attack would return in the loaded object."""
    cmd = f'touch {marker}'
    py = f"open({marker!r}, 'w').write('pwned')"
    p: Dict[str, Callable[[], bytes]] = {}

    def reg(name):
        def deco(fn):
            p[name] = fn
            return fn
        return deco

    # --- classic REDUCE gadgets ------------------------------------------------------------
    for mod, fn in [('os', 'system'), ('posix', 'system'), ('nt', 'system'),
                    ('subprocess', 'getoutput'), ('pty', 'spawn'), ('os', 'popen')]:
        p[f'reduce_{mod}_{fn}'] = (lambda m=mod, f=fn: Asm().call(m, f, lambda a: a.str(cmd))
                                   .stop())
    for mod in ('builtins', '__builtin__'):
        p[f'reduce_{mod}_eval'] = (lambda m=mod: Asm().call(m, 'eval', lambda a: a.str(py))
                                   .stop())
        p[f'reduce_{mod}_exec'] = (lambda m=mod: Asm().call(m, 'exec', lambda a: a.str(py))
                                   .stop())
    p['reduce_open_write'] = lambda: Asm().call('builtins', 'open', lambda a: a.str(marker),
                                                lambda a: a.str('w')).stop()
    p['reduce_open_read_secret'] = lambda: Asm().call('io', 'open', lambda a: a.str(secret)) \
        .stop()
    p['reduce_importlib'] = lambda: Asm().call('importlib', 'import_module',
                                               lambda a: a.str('os')).stop()
    p['reduce_nested_pickle'] = lambda: Asm().call(
        'pickle', 'loads', lambda a: a.bytes(Asm().call('os', 'system',
                                                        lambda b: b.str(cmd)).stop())).stop()
    p['reduce_torch_load'] = lambda: Asm().call('torch', 'load', lambda a: a.str(secret)).stop()
    p['reduce_add_safe_globals'] = lambda: Asm().call(
        'torch.serialization', 'add_safe_globals', lambda a: a.empty_list()).stop()
    p['newobj_copyreg'] = lambda: Asm().glob('copyreg', '_reconstructor').mark() \
        .glob('os', '_wrap_close').glob('builtins', 'object').none().tuple().reduce().stop()

    # --- getattr chains -------------------------------------------------------------------
    @reg('getattr_self_builtins_eval')
    def _():
        a = Asm().glob('builtins', 'getattr').put(0)
        a.mark().glob('builtins', 'getattr').str('__self__').tuple().reduce().put(1)  # builtins
        a.get(0).mark().get(1).str('eval').tuple().reduce()  # builtins.eval
        return a.mark().str(py).tuple().reduce().stop()

    @reg('getattr_historybuffer_class_table')
    def _():  # getattr(HistoryBuffer, '_statistics_methods')['mean'] = print
        a = _hb(Asm().glob('builtins', 'getattr')).str('_statistics_methods').tuple2().reduce()
        return a.str('mean').glob('builtins', 'print').setitem().stop()

    @reg('getattr_historybuffer_dunder')
    def _():
        return _hb(Asm().glob('builtins', 'getattr')).str('__init__').tuple2().reduce().stop()

    @reg('getattr_with_default')
    def _():
        return _hb(Asm().glob('builtins', 'getattr')).str('mean').none().tuple3().reduce() \
            .stop()

    @reg('getattr_globals_setitem')
    def _():  # torch._utils._rebuild_tensor.__globals__['torch'] = ...
        a = Asm().glob('builtins', 'getattr').glob('torch._utils', '_rebuild_tensor') \
            .str('__globals__').tuple2().reduce()
        return a.str('torch').none().setitem().stop()

    @reg('getattr_numpy_module')
    def _():
        return Asm().glob('builtins', 'getattr').glob('numpy', 'dtype').str('__init__') \
            .tuple2().reduce().stop()

    # --- torch rebuild helpers as call gadgets ----------------------------------------------
    @reg('rebuild_from_type_os_system')
    def _():
        return Asm().glob('torch._tensor', '_rebuild_from_type_v2').mark() \
            .glob('os', 'system').glob('torch', 'Tensor').push_tuple((cmd, )).empty_dict() \
            .tuple().reduce().stop()

    @reg('rebuild_from_type_getattr')
    def _():  # func = getattr, args = (HistoryBuffer, '_statistics_methods')
        a = Asm().glob('torch._tensor', '_rebuild_from_type_v2').mark() \
            .glob('builtins', 'getattr').glob('torch', 'Tensor')
        return _hb(a.mark()).str('_statistics_methods').tuple().empty_dict().tuple().reduce() \
            .stop()

    @reg('rebuild_from_type_object_dtype')
    def _():
        return Asm().glob('torch._tensor', '_rebuild_from_type_v2').mark() \
            .glob('numpy', 'dtype').glob('numpy', 'dtype').push_tuple(('O8', )).empty_dict() \
            .tuple().reduce().stop()

    @reg('rebuild_from_type_historybuffer_state')
    def _():  # builds a HistoryBuffer through _set_obj_state / __setstate__ with class keys
        a = Asm().glob('torch._tensor', '_rebuild_from_type_v2').mark()
        _hb(_hb(a)).empty_tuple()
        a.empty_dict().mark().str('_statistics_methods').empty_dict().str('__class__') \
            .glob('builtins', 'object').setitems()
        return a.tuple().reduce().stop()

    @reg('rebuild_from_type_ordereddict_class')
    def _():
        return Asm().glob('torch._tensor', '_rebuild_from_type_v2').mark() \
            .glob('collections', 'OrderedDict').glob('collections', 'OrderedDict') \
            .empty_tuple().empty_dict().str('__class__').glob('numpy', 'ndarray').setitem() \
            .tuple().reduce().stop()

    # --- numpy object dtypes, dtype flags -------------------------------------------------
    for code in ('O8', 'O', 'V8', 'U4', 'S4', 'M8', 'f16'):
        p[f'numpy_dtype_{code}'] = lambda c=code: Asm().np_dtype(c, state=None).stop()
    p['numpy_dtype_flags'] = lambda: Asm().np_dtype(
        'f8', state=(3, '|', None, None, None, 8, 8, 0x3f)).stop()
    p['numpy_dtype_fields'] = lambda: Asm().np_dtype(
        'f8', state=(3, '|', None, ('a', ), None, -1, -1, 0)).stop()
    p['numpy_dtype_metadata'] = lambda: Asm().np_dtype(
        'f8', state=(3, '<', None, None, None, -1, -1, 0, 'meta')).stop()
    p['numpy_object_array_pointers'] = lambda: Asm().np_array(
        shape=(1, ), code='O8', data=struct.pack('<Q', 0x41414141)).stop()
    p['numpy_array_flagged_dtype'] = lambda: Asm().np_array(
        shape=(1, ), code='f8', data=struct.pack('<Q', 0x41414141),
        dtype_state=(3, '|', None, None, None, 8, 8, 0x01)).stop()
    p['numpy_reconstruct_wrong_subtype'] = lambda: Asm().glob(
        'numpy.core.multiarray', '_reconstruct').glob('numpy', 'dtype').int(0).tuple1() \
        .bytes(b'b').tuple3().reduce().stop()
    p['numpy_ndarray_newobj_args'] = lambda: Asm().glob('numpy', 'ndarray') \
        .push_tuple((1, )).newobj().stop()
    p['numpy_scalar_object'] = lambda: Asm().glob('numpy._core.multiarray', 'scalar') \
        .np_dtype('O8', state=None).bytes(b'\x41' * 8).tuple2().reduce().stop()
    p['numpy_scalar_short_bytes'] = lambda: Asm().glob('numpy._core.multiarray', 'scalar') \
        .np_dtype('f8').bytes(b'\x41' * 3).tuple2().reduce().stop()
    p['numpy_array_list_data'] = lambda: _list_data_array()

    # --- BUILD on allowed classes with hostile state ---------------------------------------
    p['build_historybuffer_methods_swapped'] = lambda: _hb_state(
        _new_hb(Asm()), methods=False,
        extra=lambda a: _hb(a.str('statistics_methods').empty_dict().str('mean')
                            .glob('builtins', 'getattr')).str('max').tuple2().reduce()
        .setitem()).build().stop()
    p['build_historybuffer_print'] = lambda: _hb_state(
        _new_hb(Asm()), methods=False,
        extra=lambda a: a.str('statistics_methods').empty_dict().str('mean')
        .glob('builtins', 'print').setitem()).build().stop()
    p['build_historybuffer_class_attr'] = lambda: _hb_state(
        _new_hb(Asm()), extra=lambda a: a.str('_statistics_methods').empty_dict()).build().stop()
    p['build_historybuffer___class__'] = lambda: _hb_state(
        _new_hb(Asm()), extra=lambda a: a.str('__class__').glob('numpy', 'ndarray')) \
        .build().stop()
    p['build_historybuffer_tuple_state'] = lambda: _new_hb(Asm()).mark().none().empty_dict() \
        .str('max_length').int(1).setitem().tuple().build().stop()
    p['build_historybuffer_list_history'] = lambda: _new_hb(Asm()).empty_dict().mark() \
        .str('max_length').int(1).str('_log_history').empty_list() \
        .str('_count_history').empty_list().setitems().build().stop()
    p['build_on_class_object'] = lambda: _hb(Asm()).empty_dict().str('mean') \
        .glob('builtins', 'getattr').setitem().build().stop()
    p['build_array_twice'] = lambda: Asm().np_array().mark().int(1).push_tuple((1, )) \
        .np_dtype('f8').false().bytes(b'\0' * 8).tuple().build().stop()
    p['build_historybuffer_twice'] = lambda: _hb_state(_hb_state(_new_hb(Asm())).build()) \
        .build().stop()
    p['setitem_on_class'] = lambda: _hb(Asm()).str('mean').none().setitem().stop()

    # --- sizes -----------------------------------------------------------------------------
    p['numpy_negative_shape'] = lambda: Asm().np_array(shape=(-1, ), data=b'').stop()
    p['numpy_huge_shape'] = lambda: Asm().np_array(shape=(2**40, 2**40), data=b'\0' * 8).stop()
    p['numpy_too_many_dims'] = lambda: Asm().np_array(shape=(1, ) * 40, data=b'\0' * 8).stop()
    p['historybuffer_bad_max_length'] = lambda: _new_hb(Asm()).empty_dict().mark() \
        .str('max_length').int(-5).setitems().build().stop()
    p['deep_nesting'] = lambda: _deep_lists(5000)

    return {name: fn() for name, fn in p.items()}


def _list_data_array() -> bytes:
    """``_reconstruct`` then BUILD whose data is a list (numpy's object-array form)."""
    a = Asm().glob('numpy.core.multiarray', '_reconstruct').glob('numpy', 'ndarray').int(0) \
        .tuple1().bytes(b'b').tuple3().reduce()
    a.mark().int(1).push_tuple((1, )).np_dtype('f8').false().empty_list().tuple().build()
    return a.stop()


def _deep_lists(depth: int) -> bytes:
    a = Asm()
    for _ in range(depth):
        a.empty_list()
    for _ in range(depth - 1):
        a.append()
    return a.stop()


def oversized_tensor_zip() -> bytes:
    """A zip checkpoint whose one tensor claims 2**31 elements of an 8-byte storage."""
    a = Asm().glob('torch._utils', '_rebuild_tensor_v2').mark()
    a.mark().str('storage').glob('torch', 'FloatStorage').str('0').str('cpu').int(2).tuple()
    a.op(b'Q')  # BINPERSID
    a.int(0).push_tuple((2**31, )).push_tuple((1, )).false().glob('collections', 'OrderedDict') \
        .empty_tuple().reduce().tuple().reduce()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', a.stop())
        z.writestr('archive/byteorder', 'little')
        z.writestr('archive/data/0', b'\0' * 8)
        z.writestr('archive/version', '3\n')
    return buf.getvalue()


# --- the second round: crashes, hangs, amplification, stale memory, leftovers ---------------
def _deep_tuple(a: Asm, depth: int) -> Asm:
    a.empty_tuple()
    a.out += b'\x85' * depth  # TUPLE1, depth times: ((((),),),) ...
    return a


def _dag_tuple(a: Asm, depth: int = 64) -> Asm:
    """A tuple DAG: t[i] = (t[i-1], t[i-1]); tiny in the file, 2**depth leaves when walked."""
    a.empty_tuple().put(0).op(b'0')  # POP: only the memo keeps it
    for i in range(1, depth + 1):
        a.get(i - 1).get(i - 1).tuple2().put(i)
        if i < depth:
            a.op(b'0')
    return a


def _deflated_zip(payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('archive/data.pkl', payload)
        z.writestr('archive/byteorder', 'little')
    return buf.getvalue()


def _tensor(a: Asm, numel: int = 2, key: str = '0', size=(2, ), hooks=None,
            legacy: bool = False) -> Asm:
    a.glob('torch._utils', '_rebuild_tensor_v2').mark()
    a.mark().str('storage').glob('torch', 'FloatStorage').str(key).str('cpu').int(numel)
    (a.none() if legacy else a).tuple().op(b'Q')  # BINPERSID (legacy: + view metadata)
    a.int(0).push_tuple(size).push_tuple((1, )).false().glob('collections', 'OrderedDict')
    a.empty_tuple().reduce()
    if hooks:
        a.mark().int(0)
        hooks(a)
        a.setitems()
    return a.tuple().reduce()


BOTH = ('legacy', 'zip')
#: the formats each of :func:`bound_attacks` comes in (listed here so tests can be collected
#: without building the payloads)
BOUND_FORMATS = {
    'config_text_runs_code': BOTH, 'deep_tuple_dict_key': BOTH, 'deep_tuple_set_member': BOTH,
    'deep_tuple_storage_key': BOTH, 'dag_tuple_dict_key': ('zip', ), 'dag_tuple_in_message': BOTH,
    'dag_tuple_value': BOTH, 'bytearray_size': BOTH, 'deflate_bomb': ('zip', ),
    'opcode_flood': ('zip', ), 'codec_call': BOTH, 'torch_tensor_size': BOTH,
    'storage_without_data': BOTH, 'sparse_out_of_bounds': BOTH, 'standin_in_tuple_key': BOTH,
    'standin_in_set_of_tuples': BOTH, 'counter_attributes': BOTH,
    'tensor_backward_hooks': ('zip', ), 'tensor_grad_state': ('zip', ), 'terminal_escape': BOTH,
}


def bound_attacks(marker: str, secret: str) -> Dict[str, Dict[str, bytes]]:
    """Files (per format) for the failure classes beyond code execution by the unpickler."""
    both = lambda pkl: {fmt: wrap(pkl) for fmt, wrap in FORMATS.items()}  # noqa: E731
    evil_cfg = f"import os\nopen({marker!r}, 'w').write('pwned')\n"
    out = {
        # 1. config text that MMEngine would run (Runner.resume / BaseInferencer)
        'config_text_runs_code': both(
            Asm().empty_dict().mark().str('meta').empty_dict().str('config').str(evil_cfg)
            .setitem().str('message_hub').empty_dict().str('runtime_info').empty_dict()
            .str('cfg').str(evil_cfg).setitem().setitem().setitems().stop()),
        # 2. interpreter crash: a million nested tuples hashed as a key / set member / storage key
        'deep_tuple_dict_key': both(
            _deep_tuple(Asm().empty_dict(), 1_000_000).none().setitem().stop()),
        'deep_tuple_set_member': both(
            _deep_tuple(Asm().glob('builtins', 'set').empty_list(), 1_000_000).append()
            .tuple1().reduce().stop()),
        'deep_tuple_storage_key': both(
            _deep_tuple(Asm().mark().str('storage').glob('torch', 'FloatStorage'), 1_000_000)
            .str('cpu').int(0).tuple().op(b'Q').stop()),
        # 3. hangs: memoised tuple DAGs hashed, described in a message, or walked
        # (zip only: the hash runs in the same place whatever the format, for the full 10 s)
        'dag_tuple_dict_key': {'zip': as_zip(_dag_tuple(Asm().empty_dict()).none().setitem()
                                             .stop())},
        'dag_tuple_in_message': both(
            _dag_tuple(Asm().glob('numpy', 'dtype')).tuple1().reduce().stop()),
        'dag_tuple_value': both(_dag_tuple(Asm().empty_dict().str('v')).setitem().stop()),
        # 4. memory and CPU amplification
        'bytearray_size': both(Asm().glob('builtins', 'bytearray').int(2_500_000_000).tuple1()
                               .reduce().stop()),
        'deflate_bomb': {'zip': _deflated_zip(Asm().str('x' * (96 * 2**20)).stop())},
        'opcode_flood': {'zip': _deflated_zip(bytes(Asm().none().out)
                                              + b'0N' * (30 * 2**20) + b'.')},
        'codec_call': both(Asm().glob('_codecs', 'encode').str('\u00e9' * 60000).str('idna')
                           .tuple2().reduce().stop()),
        # 5. uninitialised memory: torch.Tensor(n), storages declared but never filled
        'torch_tensor_size': both(Asm().glob('torch', 'Tensor').int(1 << 24).tuple1()
                                  .reduce().stop()),
        'storage_without_data': {
            fmt: FORMATS[fmt](_tensor(Asm(), numel=1 << 20, size=(1 << 20, ),
                                      legacy=fmt == 'legacy').stop()) for fmt in FORMATS},
        # 7. a refused sparse tensor (its validation would linger in torch's process-wide queue)
        'sparse_out_of_bounds': both(
            Asm().glob('torch._utils', '_rebuild_sparse_tensor')
            .glob('torch', 'sparse_coo').empty_tuple().tuple2().reduce().stop()),
        # 9. stand-ins left live inside keys, sets, attributes, hooks and grads
        'standin_in_tuple_key': both(
            Asm().empty_dict().np_dtype('f8').tuple1().none().setitem().stop()),
        'standin_in_set_of_tuples': both(
            Asm().glob('builtins', 'set').empty_list().np_dtype('f8').tuple1().append()
            .tuple1().reduce().stop()),
        'counter_attributes': both(
            Asm().glob('collections', 'Counter').empty_tuple().reduce().empty_dict()
            .str('x').np_dtype('f8').setitem().build().stop()),
        'tensor_backward_hooks': {'zip': as_zip_with_storage(
            _tensor(Asm(), hooks=lambda a: a.np_dtype('f8')).stop())},
        'tensor_grad_state': {'zip': as_zip_with_storage(_grad_state_payload())},
        # 10. terminal escape sequences in what a refusal message repeats from the file
        'terminal_escape': both(Asm().glob('os\x1b[2K\r', 'system\x1b[32m OK verified')
                                .stop()),
    }
    return out


def _grad_state_payload() -> bytes:
    """``_rebuild_from_type_v2(_rebuild_tensor_v2, Tensor, args, {'grad': <numpy dtype>})``."""
    a = Asm().glob('torch._tensor', '_rebuild_from_type_v2').mark()
    a.glob('torch._utils', '_rebuild_tensor_v2').glob('torch', 'Tensor').mark()
    a.mark().str('storage').glob('torch', 'FloatStorage').str('0').str('cpu').int(2) \
        .tuple().op(b'Q')
    a.int(0).push_tuple((2, )).push_tuple((1, )).false().glob('collections', 'OrderedDict') \
        .empty_tuple().reduce().tuple()
    a.empty_dict().str('grad').np_dtype('f8').setitem()
    return a.tuple().reduce().stop()


def as_zip_with_storage(payload: bytes, data: bytes = b'\0' * 8) -> bytes:
    """A zip checkpoint whose one storage ``0`` holds ``data``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_STORED) as z:
        z.writestr('archive/data.pkl', payload)
        z.writestr('archive/byteorder', 'little')
        z.writestr('archive/data/0', data)
    return buf.getvalue()
