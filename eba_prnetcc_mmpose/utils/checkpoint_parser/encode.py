"""The loaded object graph as a tagged JSON tree (see the package docstring for the tags).
"""
import base64
import math
from collections import Counter, OrderedDict

from stand_ins import (MAX_KEY_TUPLE, Frozen, HistoryBuffer, NumpyArray, NumpyDtype,
                       Record, Refused, short)

MAX_DEPTH = 100          # nesting of containers in the object tree
MAX_NODES = 1_000_000    # objects written out
MAX_REPEAT = 1000        # times one shared container may be written out
ATOMS = (str, int, float, bool, type(None), bytes)


def _key_ok(key):
    if type(key) in ATOMS:
        return True
    if type(key) is tuple and len(key) <= MAX_KEY_TUPLE:
        return all(type(k) in ATOMS for k in key)
    return False


def _encode_key(k):
    if type(k) is tuple:
        return ['T', [_atom(v) for v in k]]
    return _atom(k)


def _atom(x):
    t = type(x)
    if t is float and not math.isfinite(x):
        return ['F', repr(x)]
    if t is bytes:
        return ['B', base64.b64encode(x).decode('ascii')]
    return x


_META = object()  # marks the _metadata attribute of an OrderedDict (torch state dicts)


def encode(root):
    """The tagged JSON tree of ``root``, built without recursion.

    An object the pickle shares (memoised and fetched again) is written out each time it occurs:
    the result is a plain tree, whose size is what :data:`MAX_NODES` bounds, so neither this
    walk nor anything the loaded object later meets (``repr``, hashing, pickling) can grow
    exponentially on a file that shares objects many levels deep. Cycles, nesting over
    :data:`MAX_DEPTH`, a container written out more than :data:`MAX_REPEAT` times and more than
    :data:`MAX_NODES` objects are refused.
    """
    active, count, repeats = set(), [0], {}

    def leaf(x, depth):
        """``(node, None)`` for a value without children, ``(None, frame)`` for a container."""
        count[0] += 1
        if count[0] > MAX_NODES:
            raise Refused(f'more than {MAX_NODES} objects')
        if depth > MAX_DEPTH:
            raise Refused(f'containers nested deeper than {MAX_DEPTH} levels')
        t = type(x)
        if t in ATOMS:
            return _atom(x), None
        if id(x) in active:
            raise Refused('a container that contains itself')
        if t is complex:
            return ['C', _atom(x.real), _atom(x.imag)], None
        if t is bytearray:
            return ['BA', base64.b64encode(bytes(x)).decode('ascii')], None
        if t in (NumpyArray, HistoryBuffer):
            x, t = x.record(), Record
        if t is NumpyDtype:
            return ['NPD', x.str], None
        if t is Record:
            return _record_node(x, depth), None
        if t in (list, tuple):
            children = iter(x)
        elif t in (dict, OrderedDict, Counter):
            for k in x:
                if not _key_ok(k):
                    raise Refused(f'a dict key {short(k)} (keys must be strings, numbers or '
                                  'flat tuples of them)')
            pairs = list(x.items())
            meta = x.__dict__.get('_metadata') if t is OrderedDict else None
            children = iter(pairs + ([(_META, meta)] if type(meta) in (dict, OrderedDict) else []))
        elif t in (set, frozenset):
            if not all(_key_ok(k) for k in x):
                raise Refused('a set member that is not a string, number or flat tuple')
            return ['S' if t is set else 'FS', [_encode_key(k) for k in x]], None
        elif isinstance(x, Frozen):
            raise Refused(f'{x.describe()} left in the loaded object')
        else:
            raise Refused(f'an object of type {t.__name__}')
        tag = {list: 'L', tuple: 'T', dict: 'D', OrderedDict: 'O', Counter: 'CT'}[t]
        repeats[id(x)] = repeats.get(id(x), 0) + 1
        if repeats[id(x)] > MAX_REPEAT:
            raise Refused(f'a {t.__name__} shared more than {MAX_REPEAT} times')
        active.add(id(x))
        return None, dict(obj=x, tag=tag, children=children, out=[], meta=[None],
                          depth=depth, sink=None)

    def _record_node(x, depth):
        tag, fields = x.tag, x.fields
        if tag == 'TEN':
            return ['TEN', fields[0].key] + fields[1:]
        if tag in ('TD', 'DEV', 'SZ'):
            return [tag, fields[0]]
        if tag == 'NDA':
            dtype, shape, fortran, data = fields
            return ['NDA', dtype, shape, fortran, base64.b64encode(data).decode('ascii')]
        if tag == 'NPS':
            return ['NPS', fields[0], base64.b64encode(fields[1]).decode('ascii')]
        if tag == 'HB':
            return ['HB', fields[0], _record_node(fields[1], depth),
                    _record_node(fields[2], depth)]
        raise Refused(f'a stray {tag} record')

    node, frame = leaf(root, 0)
    if frame is None:
        return node
    result = []
    frame['sink'] = result.append
    stack = [frame]
    while stack:
        top = stack[-1]
        item = next(top['children'], _META)
        if item is _META:  # all children done
            stack.pop()
            active.discard(id(top['obj']))
            node = [top['tag'], top['out']] + ([top['meta'][0]] if top['tag'] == 'O' else [])
            top['sink'](node)
            continue
        if top['tag'] in ('D', 'O', 'CT'):
            k, v = item
            if k is _META:
                sink = (lambda meta: lambda n: meta.__setitem__(0, n))(top['meta'])
            else:
                slot = [_encode_key(k)]
                top['out'].append(slot)
                sink = slot.append
            node, child = leaf(v, top['depth'] + 1)
        else:
            sink = top['out'].append
            node, child = leaf(item, top['depth'] + 1)
        if child is None:
            sink(node)
        else:
            child['sink'] = sink
            stack.append(child)
    return result[0]
