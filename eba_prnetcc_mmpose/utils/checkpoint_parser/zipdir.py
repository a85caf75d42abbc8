"""Just enough of the zip format for ``torch.save`` files: the central directory and one entry.

The standard library's ``zipfile`` imports ``pathlib``, ``shutil``, ``importlib.util`` and more
(~10 ms of the parser's start-up, paid on every load); this reads the same records with
``struct``: the end-of-central-directory record (and its ZIP64 form, which ``torch.save`` writes
for files over 4 GiB or 65,535 entries), the central directory, and a local header. Entries may
be stored or deflated; anything else (encryption, other methods, several disks) is refused.
Every size and offset is checked against the file's size before it is used.
"""
import struct
import zlib

from stand_ins import Corrupt, Refused

_EOCD, _EOCD64, _LOCATOR = b'PK\x05\x06', b'PK\x06\x06', b'PK\x06\x07'
_CENTRAL, _LOCAL = b'PK\x01\x02', b'PK\x03\x04'
STORED, DEFLATED = 0, 8


class Entry:
    """One member: name, method, compressed and uncompressed size, local header offset, CRC."""

    __slots__ = ('name', 'method', 'csize', 'usize', 'header_offset', 'crc')

    def __init__(self, name, method, csize, usize, header_offset, crc):
        self.name, self.method, self.csize, self.usize = name, method, csize, usize
        self.header_offset, self.crc = header_offset, crc


def _read_at(f, offset, size, file_size, what):
    if offset < 0 or size < 0 or offset + size > file_size:
        raise Corrupt(f'not a readable zip archive ({what} lies outside the file)')
    f.seek(offset)
    data = f.read(size)
    if len(data) != size:
        raise Corrupt(f'not a readable zip archive (the file ends inside {what})')
    return data


def _directory_location(f, file_size):
    """``(number of entries, size, offset)`` of the central directory."""
    tail_len = min(file_size, 22 + 0xFFFF)
    tail = _read_at(f, file_size - tail_len, tail_len, file_size, 'the archive end')
    pos = tail.rfind(_EOCD)
    if pos < 0 or pos + 22 > len(tail):
        raise Corrupt('not a readable zip archive (no end of central directory record)')
    _, disk, cd_disk, _, count, cd_size, cd_offset, _ = struct.unpack(
        '<4sHHHHIIH', tail[pos:pos + 22])
    if disk or cd_disk:
        raise Refused('a zip archive split over several disks')
    if count == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        eocd_at = file_size - tail_len + pos
        locator = _read_at(f, eocd_at - 20, 20, file_size, 'the ZIP64 locator')
        sig, _, eocd64_at, _ = struct.unpack('<4sIQI', locator)
        if sig != _LOCATOR:
            raise Corrupt('not a readable zip archive (a ZIP64 archive without its locator)')
        record = _read_at(f, eocd64_at, 56, file_size, 'the ZIP64 end record')
        sig, _, _, _, disk, cd_disk, _, count, cd_size, cd_offset = struct.unpack(
            '<4sQHHIIQQQQ', record)
        if sig != _EOCD64:
            raise Corrupt('not a readable zip archive (a bad ZIP64 end record)')
        if disk or cd_disk:
            raise Refused('a zip archive split over several disks')
    return count, cd_size, cd_offset


def _zip64_fields(extra, usize, csize, offset):
    """Replace the 0xFFFFFFFF placeholders from the ZIP64 extra field (id 1)."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack('<HH', extra[pos:pos + 4])
        body = extra[pos + 4:pos + 4 + size]
        if tag == 1:
            values, i = [], 0
            for value in (usize, csize, offset):
                if value == 0xFFFFFFFF:
                    if i + 8 > len(body):
                        raise Corrupt('not a readable zip archive (a short ZIP64 field)')
                    value = struct.unpack('<Q', body[i:i + 8])[0]
                    i += 8
                values.append(value)
            return values
        pos += 4 + size
    return usize, csize, offset


def read_directory(f, file_size):
    """The archive's members, ``{name: Entry}``; duplicate names are refused."""
    count, cd_size, cd_offset = _directory_location(f, file_size)
    if count > file_size // 46:
        raise Corrupt('not a readable zip archive (more entries than the file can hold)')
    directory = _read_at(f, cd_offset, cd_size, file_size, 'the central directory')
    entries, pos = {}, 0
    for _ in range(count):
        if pos + 46 > len(directory) or directory[pos:pos + 4] != _CENTRAL:
            raise Corrupt('not a readable zip archive (a damaged central directory)')
        (flags, method, crc, csize, usize, name_len, extra_len, comment_len,
         offset) = struct.unpack('<8xHH4xIIIHHH8xI', directory[pos:pos + 46])
        end = pos + 46 + name_len + extra_len + comment_len
        if end > len(directory):
            raise Corrupt('not a readable zip archive (a damaged central directory)')
        if flags & 0x41:
            raise Refused('an encrypted zip entry')
        raw_name = directory[pos + 46:pos + 46 + name_len]
        try:
            name = raw_name.decode('utf-8' if flags & 0x800 else 'cp437')
        except UnicodeDecodeError:
            raise Corrupt('not a readable zip archive (an entry name that is not UTF-8)') \
                from None
        extra = directory[pos + 46 + name_len:pos + 46 + name_len + extra_len]
        usize, csize, offset = _zip64_fields(extra, usize, csize, offset)
        if name in entries:
            raise Corrupt(f'not a readable zip archive (two entries named {name[:60]!r})')
        entries[name] = Entry(name, method, csize, usize, offset, crc)
        pos = end
    return entries


def data_offset(f, entry, file_size):
    """Where ``entry``'s (compressed) bytes begin; they must end inside the file."""
    header = _read_at(f, entry.header_offset, 30, file_size, 'a local header')
    if header[:4] != _LOCAL:
        raise Corrupt(f'a damaged zip entry {entry.name[:60]!r}')
    name_len, extra_len = struct.unpack('<HH', header[26:30])
    start = entry.header_offset + 30 + name_len + extra_len
    if start + entry.csize > file_size:
        raise Corrupt(f'zip entry {entry.name[:60]!r} reaches past the end of the file')
    return start


def read_entry(f, entry, file_size, limit):
    """The uncompressed bytes of ``entry``, refused if they would exceed ``limit``."""
    start = data_offset(f, entry, file_size)
    if entry.usize > limit:
        raise Refused(f'an object pickle of {entry.usize} bytes (limit {limit})')
    if entry.method == STORED:
        if entry.csize != entry.usize:
            raise Corrupt(f'zip entry {entry.name[:60]!r} has two different sizes')
        data = _read_at(f, start, entry.csize, file_size, f'entry {entry.name[:60]!r}')
    elif entry.method == DEFLATED:
        packed = _read_at(f, start, entry.csize, file_size, f'entry {entry.name[:60]!r}')
        inflate = zlib.decompressobj(-15)
        try:
            data = inflate.decompress(packed, limit + 1)
        except zlib.error as e:
            raise Corrupt(f'zip entry {entry.name[:60]!r} does not inflate ({e})') from None
        if len(data) > limit:
            raise Refused(f'an object pickle that expands past {limit} bytes (it claims '
                          f'{entry.usize})')
        if not inflate.eof:
            raise Corrupt(f'zip entry {entry.name[:60]!r} is truncated')
    else:
        raise Refused(f'zip compression method {entry.method}')
    if zlib.crc32(data) != entry.crc:
        raise Corrupt(f'zip entry {entry.name[:60]!r} fails its CRC check')
    return data
