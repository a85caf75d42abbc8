"""The parser's own zip reader (``checkpoint_parser/zipdir.py``) against the standard library's.

The parser reads ``torch.save`` archives without ``zipfile`` (start-up time); these tests hold
it to ``zipfile``'s reading of the same archives -- plain, ZIP64 (forced with small limits, as
``torch.save`` writes for files over 4 GiB or 65,535 entries) and deflated -- and check that the
restricted loader returns what ``torch.load`` returns for each, and refuses damaged ones.
"""
import importlib
import io
import os.path as osp
import sys
import zipfile

import pytest
import torch

from eba_prnetcc_mmpose.utils import load_checkpoint_safely
from eba_prnetcc_mmpose.utils.safe_load import CorruptCheckpointError, UnsafeCheckpointError

PARSER_DIR = osp.join(osp.dirname(importlib.import_module('eba_prnetcc_mmpose.utils').__file__),
                      'checkpoint_parser')


@pytest.fixture(scope='module')
def zipdir():
    sys.path.insert(0, PARSER_DIR)
    try:
        yield importlib.import_module('zipdir')
    finally:
        sys.path.remove(PARSER_DIR)


def _checkpoint() -> dict:
    gen = torch.Generator().manual_seed(0)
    return dict(state_dict={f'w{i}': torch.randn(3, i + 1, generator=gen) for i in range(5)},
                meta=dict(epoch=2, note='x' * 300))


def _saved(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _rewritten(data: bytes, compression=zipfile.ZIP_STORED, small_zip64_limits=None,
               pkl_compression=None) -> bytes:
    """The same members in a new archive written by ``zipfile`` (optionally ZIP64, deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        members = [(i.filename, src.read(i)) for i in src.infolist()]
    saved = (zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT)
    if small_zip64_limits:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = small_zip64_limits
    try:
        with zipfile.ZipFile(out, 'w', compression) as dst:
            for name, payload in members:
                method = pkl_compression if (pkl_compression is not None
                                             and name.endswith('data.pkl')) else compression
                dst.writestr(zipfile.ZipInfo(name), payload, compress_type=method)
    finally:
        zipfile.ZIP64_LIMIT, zipfile.ZIP_FILECOUNT_LIMIT = saved
    return out.getvalue()


def _assert_same(loaded, expected):
    assert loaded['meta'] == expected['meta']
    assert loaded['state_dict'].keys() == expected['state_dict'].keys()
    for k, v in expected['state_dict'].items():
        assert torch.equal(loaded['state_dict'][k], v)


@pytest.mark.parametrize('variant', ['torch.save', 'zipfile', 'zip64', 'deflated_pickle'])
def test_directory_matches_zipfile_and_the_loader_matches_torch(tmp_path, zipdir, variant):
    data = _saved(_checkpoint())
    if variant == 'zipfile':
        data = _rewritten(data)
    elif variant == 'zip64':  # every size, offset and the entry count go through ZIP64 fields
        data = _rewritten(data, small_zip64_limits=(16, 2))
        assert b'PK\x06\x06' in data and b'PK\x06\x07' in data
    elif variant == 'deflated_pickle':
        data = _rewritten(data, pkl_compression=zipfile.ZIP_DEFLATED)
    path = tmp_path / 'ckpt.pth'
    path.write_bytes(data)
    with open(path, 'rb') as f:
        ours = zipdir.read_directory(f, len(data))
        with zipfile.ZipFile(f) as ref:
            infos = ref.infolist()
            assert list(ours) == [i.filename for i in infos]
            for info in infos:
                entry = ours[info.filename]
                assert (entry.method, entry.csize, entry.usize, entry.header_offset,
                        entry.crc) == (info.compress_type, info.compress_size, info.file_size,
                                       info.header_offset, info.CRC)
                assert zipdir.read_entry(f, entry, len(data), 1 << 20) == ref.read(info)
    expected = torch.load(path, weights_only=True)
    _assert_same(expected, _checkpoint())
    _assert_same(load_checkpoint_safely(str(path)), expected)


def test_a_checkpoint_with_more_than_65535_entries_loads(tmp_path):
    """Past 65,535 members ``torch.save`` writes a ZIP64 end record; the loader reads it."""
    obj = {f't{i}': torch.full((1, ), float(i)) for i in range(66_000)}
    path = tmp_path / 'many.pth'
    torch.save(obj, path)
    assert b'PK\x06\x06' in path.read_bytes()[-200:]
    loaded = load_checkpoint_safely(str(path))
    assert len(loaded) == 66_000 and loaded['t65999'].item() == 65999.0


@pytest.mark.parametrize('damage, error, words', [
    ('crc', CorruptCheckpointError, 'CRC'),
    ('truncated', CorruptCheckpointError, 'zip'),
    ('no_end_record', CorruptCheckpointError, 'end of central directory'),
    ('encrypted', UnsafeCheckpointError, 'encrypted'),
    ('method', UnsafeCheckpointError, 'compression method 12'),
])
def test_damaged_archives_are_refused_with_the_reason(tmp_path, damage, error, words):
    data = bytearray(_saved(_checkpoint()))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        pkl = next(i for i in z.infolist() if i.filename.endswith('data.pkl'))
    central = data.find(b'PK\x01\x02')  # the central header of data.pkl
    while data[central + 46:central + 46 + len(pkl.filename)] != pkl.filename.encode():
        central = data.find(b'PK\x01\x02', central + 4)
    if damage == 'crc':
        h = pkl.header_offset  # the local header's own name and extra (torch pads the extra)
        start = h + 30 + int.from_bytes(data[h + 26:h + 28], 'little') \
            + int.from_bytes(data[h + 28:h + 30], 'little')
        data[start + 5] ^= 0xFF  # one byte of the object pickle
    elif damage == 'truncated':
        data = data[:len(data) // 2]
    elif damage == 'no_end_record':
        data = data.replace(b'PK\x05\x06', b'XX\x05\x06')
    elif damage == 'encrypted':
        data[central + 8] |= 0x01
    elif damage == 'method':
        data[central + 10] = 12
    path = tmp_path / 'damaged.pth'
    path.write_bytes(bytes(data))
    with pytest.raises(error, match=words) as info:
        load_checkpoint_safely(str(path))
    assert str(path) in str(info.value)
