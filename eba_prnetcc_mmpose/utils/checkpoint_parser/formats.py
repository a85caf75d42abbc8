"""The two ``torch.save`` layouts: where the object pickle and each storage's bytes lie.
"""
import io
import struct

from stand_ins import Corrupt, Refused
from unpickler import RestrictedUnpickler
from zipdir import STORED, data_offset, read_directory, read_entry

MAX_PICKLE_MIB = 64  # the object pickle may hold at most this, or 4x the file's size
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


def _zip_storage_id(pid):
    if len(pid) != 5:
        raise Corrupt(f'a storage record with {len(pid)} fields')
    return pid[1:]


def _legacy_storage_id(pid):
    if len(pid) != 6:
        raise Corrupt(f'a storage record with {len(pid)} fields')
    if pid[5] is not None:
        raise Refused('a storage view (legacy torch < 0.4 files)')
    return pid[1:5]


def check_ranges(entries, file_size):
    """Storage byte ranges lie inside the file and never overlap (no amplification)."""
    end = 0
    for offset, nbytes in sorted((v['offset'], v['nbytes']) for v in entries.values()):
        if offset < end or offset + nbytes > file_size:
            raise Corrupt('tensor data overlaps or reaches past the end of the file')
        end = offset + nbytes


def parse_zip(f, file_size):
    by_name = read_directory(f, file_size)
    pkls = [n for n in by_name if n.endswith('/data.pkl') and n.count('/') == 1]
    if len(pkls) != 1:
        raise Corrupt('a zip archive without exactly one <name>/data.pkl (not a torch.save '
                      'file)')
    prefix = pkls[0][:-len('data.pkl')]
    limit = max(MAX_PICKLE_MIB * 2**20, 4 * file_size)
    order = by_name.get(prefix + 'byteorder')
    if order is not None and (order.usize > 16
                              or read_entry(f, order, file_size, 16) != b'little'):
        raise Refused('a big-endian checkpoint (re-save it on a little-endian machine)')
    data = read_entry(f, by_name[pkls[0]], file_size, limit)
    unpickler = RestrictedUnpickler(io.BytesIO(data), _zip_storage_id)
    obj = unpickler.load()
    entries = {}
    for key, storage in unpickler.storages.items():
        info = by_name.get(f'{prefix}data/{key}')
        if info is None:
            raise Corrupt(f'tensor data {key!r} is missing from the archive')
        if info.method != STORED:
            raise Refused(f'compressed tensor data {key!r} (torch.save stores it uncompressed)')
        nbytes = storage.numel * storage.itemsize
        if info.usize != nbytes or info.csize != nbytes:
            raise Corrupt(f'tensor data {key!r} holds {info.usize} bytes, its tensor needs '
                          f'{nbytes}')
        entries[key] = dict(offset=data_offset(f, info, file_size), nbytes=nbytes)
    return obj, unpickler.storages, entries


def parse_legacy(f, file_size):
    def load_plain():
        return RestrictedUnpickler(f, _legacy_storage_id).load()

    if load_plain() != LEGACY_MAGIC:
        raise Corrupt('not a torch checkpoint (bad magic number)')
    if load_plain() != LEGACY_PROTOCOL:
        raise Corrupt('an unknown legacy protocol version')
    info = load_plain()
    if type(info) is not dict or info.get('little_endian') is not True:
        raise Refused('a big-endian checkpoint (re-save it on a little-endian machine)')
    unpickler = RestrictedUnpickler(f, _legacy_storage_id)
    obj = unpickler.load()
    keys = load_plain()
    if type(keys) is not list or any(type(k) is not str for k in keys) \
            or sorted(keys) != sorted(unpickler.storages):
        raise Corrupt('the list of tensor data does not match the tensors in the file')
    entries, offset = {}, f.tell()
    for key in keys:
        storage = unpickler.storages[key]
        f.seek(offset)
        header = f.read(8)
        if len(header) != 8 or struct.unpack('<q', header)[0] != storage.numel:
            raise Corrupt(f'tensor data {key!r} is missing or has the wrong size')
        nbytes = storage.numel * storage.itemsize
        entries[key] = dict(offset=offset + 8, nbytes=nbytes)
        offset += 8 + nbytes
    if offset > file_size:
        raise Corrupt('the file ends before its tensor data')
    return obj, unpickler.storages, entries
