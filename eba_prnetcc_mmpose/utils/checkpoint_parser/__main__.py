"""Entry point of the parser process: ``python -I -S <this file> FD MEMORY SECONDS``.

Run as a script (not as a folder, which would import ``runpy``: ~7 ms of start-up); ``-I``
keeps the script's folder off ``sys.path``, so it is put there explicitly, first.
"""
import json
import os
import pickle
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from encode import encode  # noqa: E402
from formats import check_ranges, parse_legacy, parse_zip  # noqa: E402
from stand_ins import Corrupt, Refused  # noqa: E402


def _peak_kib():
    """This process's peak resident memory since exec (VmHWM), in KiB."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def main():
    fd = int(sys.argv[1])
    mem_limit, cpu_limit = int(sys.argv[2]), int(sys.argv[3])
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, cpu_limit + 1))
        resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))
    except (ImportError, ValueError, OSError):
        pass
    out = sys.stdout.buffer
    try:
        f = os.fdopen(fd, 'rb', closefd=False)
        file_size = os.fstat(fd).st_size
        head = os.pread(fd, 4, 0)
        parse = parse_zip if head == b'PK\x03\x04' else parse_legacy
        obj, storage_records, entries = parse(f, file_size)
        check_ranges(entries, file_size)
        tree = encode(obj)
        storages = {key: [s.dtype, entries[key]['offset'], entries[key]['nbytes'], s.location]
                    for key, s in storage_records.items()}
        doc = dict(ok=True, tree=tree, storages=storages)
    except Refused as e:
        doc = dict(ok=False, kind='unsafe', what=str(e)[:400])
    except MemoryError:
        doc = dict(ok=False, kind='limit', what='more memory than the parser may use')
    except RecursionError:
        doc = dict(ok=False, kind='unsafe', what='objects nested too deeply to parse')
    except (Corrupt, pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError,
            IndexError, AttributeError, OverflowError, UnicodeDecodeError, struct.error,
            OSError, NotImplementedError) as e:
        if isinstance(e.__context__, Refused):  # raised while the unpickler reported ours
            doc = dict(ok=False, kind='unsafe', what=str(e.__context__)[:400])
        else:
            what = str(e) if type(e) is Corrupt else f'{type(e).__name__}: {e}'
            doc = dict(ok=False, kind='corrupt', what=what[:300])
    doc['peak_kib'] = _peak_kib()
    out.write(json.dumps(doc, allow_nan=False).encode('ascii'))
    out.flush()


if __name__ == '__main__':
    main()
