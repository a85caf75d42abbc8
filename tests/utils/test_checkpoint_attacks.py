"""Attack suite: hostile checkpoints are refused, within bounds, and nothing happens.

Every payload is assembled by ``pickle_payloads`` at test time (nothing binary is committed),
written in both of ``torch.load``'s formats (zip and legacy) where the attack applies to both,
and loaded through MMEngine's ``_load_checkpoint`` / ``load_checkpoint`` in ONE child interpreter
that imported the plugin the way a config's ``custom_imports`` does. After every load the child
checks that no file was created, no secret was read into the result, no name was planted in
``builtins``, MMEngine's ``HistoryBuffer`` class (and its statistics table), ``os.environ``, the
working directory and torch's safe-globals list are unchanged, and records the load's wall time,
the parser's peak memory and this interpreter's memory growth; the parent then checks the child
survived (no segfault), each load ended within the bounds, and each refusal names the file.
"""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from pickle_payloads import (BOUND_FORMATS, FORMATS, attacks, bound_attacks,
                             oversized_tensor_zip)

from eba_prnetcc_mmpose.utils.safe_load import PARSER_MEMORY, PARSER_SECONDS

CHILD = r'''
import builtins, json, os, sys, time
import eba_prnetcc_mmpose  # noqa: F401  (what custom_imports does)
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint, load_checkpoint
from eba_prnetcc_mmpose.utils.safe_load import last_load_stats

PLAIN = (dict, list, tuple, set, frozenset, str, bytes, bytearray, int, float, bool, complex,
         type(None), torch.Tensor, torch.nn.Parameter, torch.device, torch.dtype, torch.Size)


def rss_mib():
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) for l in f if l.startswith('VmRSS:')) / 1024


def foreign(x, depth=0):
    """Types in a loaded result that a plain checkpoint would not hold."""
    if depth > 200:
        return ['too deep']
    if isinstance(x, dict) and set(getattr(x, '__dict__', {})) - {'_metadata'}:
        return ['attributes of a ' + type(x).__name__]
    if isinstance(x, dict):
        return [t for kv in x.items() for v in kv for t in foreign(v, depth + 1)]
    if isinstance(x, (list, tuple, set, frozenset)):
        return [t for v in x for t in foreign(v, depth + 1)]
    if isinstance(x, torch.Tensor):
        return [] if x.grad is None and not x._backward_hooks else ['tensor extras']
    return [] if isinstance(x, PLAIN) else [type(x).__name__]

folder, marker, secret, out = sys.argv[1:5]
model = torch.nn.Linear(2, 2)
remembered = open(secret).read() * 4096  # a secret this process read earlier, then freed
del remembered


def snapshot():
    return dict(builtins=sorted(dir(builtins)),
                hb_class={k: repr(v) for k, v in vars(HistoryBuffer).items()},
                hb_methods={k: repr(v) for k, v in HistoryBuffer._statistics_methods.items()},
                environ=dict(os.environ), cwd=os.getcwd(),
                safe_globals=repr(torch.serialization.get_safe_globals()))


before = snapshot()
results = {}
for name in sorted(os.listdir(folder)):
    path = os.path.join(folder, name)
    rec = dict(loaded=False, size=os.path.getsize(path))
    rss, start = rss_mib(), time.perf_counter()
    try:
        if name.startswith('via_load_checkpoint'):
            load_checkpoint(model, path, map_location='cpu')
        else:
            result = _load_checkpoint(path, map_location='cpu')
            rec['loaded'] = True
            rec['leaked_secret'] = 'TOP-SECRET' in repr(result)
            rec['foreign'] = foreign(result)
            del result
    except Exception as e:  # noqa: BLE001 - we record what was raised
        rec['error'] = type(e).__name__
        rec['error_mro'] = [c.__name__ for c in type(e).__mro__]
        rec['message'] = str(e)
    rec['seconds'] = time.perf_counter() - start
    rec['rss_growth_mib'] = rss_mib() - rss
    rec['parser_peak_mib'] = last_load_stats().get('parser_peak_mib')
    after = snapshot()
    rec['side_effects'] = [k for k in before if before[k] != after[k]]
    if os.path.exists(marker):
        rec['side_effects'].append('marker file written')
        os.remove(marker)
    results[name] = rec
    before = after
with open(out, 'w') as f:
    json.dump(results, f)
'''

PAYLOAD_NAMES = sorted(attacks('/m', '/s'))
BOUND_FILES = [f'{name}.{fmt}' for name, fmts in sorted(BOUND_FORMATS.items()) for fmt in fmts]
# what the loader must do with each: load it as plain data, or refuse it
BOUND_LOADS = {'config_text_runs_code', 'opcode_flood', 'tensor_grad_state', 'counter_attributes'}
CORRUPT = ['truncated', 'random_bytes', 'empty', 'oversized_tensor', 'zip_without_pickle']


@pytest.fixture(scope='module')
def attack_run(tmp_path_factory):
    root = tmp_path_factory.mktemp('attacks')
    folder = root / 'files'
    folder.mkdir()
    marker, secret = root / 'MARKER', root / 'secret.txt'
    secret.write_text('TOP-SECRET')
    for name, payload in attacks(str(marker), str(secret)).items():
        for fmt, wrap in FORMATS.items():
            (folder / f'{name}.{fmt}.pth').write_bytes(wrap(payload))
    for name, files in bound_attacks(str(marker), str(secret)).items():
        for fmt, data in files.items():
            (folder / f'bound_{name}.{fmt}.pth').write_bytes(data)
    # the same gadget through MMEngine's load_checkpoint(model, file) path
    (folder / 'via_load_checkpoint_os_system.zip.pth').write_bytes(
        FORMATS['zip'](attacks(str(marker), str(secret))['reduce_os_system']))
    # damaged files
    good = FORMATS['zip'](attacks(str(marker), str(secret))['numpy_dtype_flags'])
    import torch
    torch.save({'w': torch.ones(64)}, folder / 'whole.pth')
    whole = (folder / 'whole.pth').read_bytes()
    (folder / 'whole.pth').unlink()
    (folder / 'truncated.zip.pth').write_bytes(whole[:len(whole) // 2])
    (folder / 'random_bytes.zip.pth').write_bytes(random.Random(0).randbytes(4096))
    (folder / 'empty.zip.pth').write_bytes(b'')
    (folder / 'oversized_tensor.zip.pth').write_bytes(oversized_tensor_zip())
    (folder / 'zip_without_pickle.zip.pth').write_bytes(good[:30] + b'\0' * 64)
    out = root / 'results.json'
    proc = subprocess.run([sys.executable, '-c', CHILD, str(folder), str(marker), str(secret),
                           str(out)], capture_output=True, text=True, timeout=600,
                          cwd=str(root))
    return proc, (json.loads(out.read_text()) if out.exists() else None), folder


def test_child_interpreter_survives_every_payload(attack_run):
    proc, results, _ = attack_run
    assert proc.returncode == 0, f'child died (rc={proc.returncode}): {proc.stderr[-3000:]}'
    assert results is not None


def _record(attack_run, file_name):
    proc, results, folder = attack_run
    assert results is not None, proc.stderr[-3000:]
    return results[file_name], str(folder / file_name)


@pytest.mark.parametrize('fmt', sorted(FORMATS))
@pytest.mark.parametrize('payload', PAYLOAD_NAMES)
def test_hostile_checkpoint_is_refused_and_nothing_happens(attack_run, payload, fmt):
    rec, path = _record(attack_run, f'{payload}.{fmt}.pth')
    assert not rec['loaded'], f'{payload} loaded: {rec}'
    assert rec['side_effects'] == [], rec['side_effects']
    assert 'CheckpointLoadError' in rec['error_mro'] and 'UnpicklingError' in rec['error_mro']
    assert path in rec['message']
    assert 'add_safe_globals([' not in rec['message']  # never advise allow-listing callables
    if rec['error'] == 'UnsafeCheckpointError':
        assert 'EBA_PRNETCC_TRUSTED_CHECKPOINTS' in rec['message']
        assert 'malicious' in rec['message']


# which construct the message must name, for a sample of payloads
NAMED = {
    'reduce_os_system': 'os.system', 'reduce_posix_system': 'posix.system',
    'reduce_subprocess_getoutput': 'subprocess.getoutput', 'reduce_builtins_eval': 'eval',
    'reduce_open_write': 'open', 'reduce_importlib': 'importlib.import_module',
    'getattr_self_builtins_eval': "getattr(builtins.getattr, '__self__')",
    'getattr_historybuffer_class_table': "getattr(mmengine.logging.history_buffer."
                                         "HistoryBuffer, '_statistics_methods')",
    'getattr_globals_setitem': '__globals__',
    'rebuild_from_type_getattr': 'builtins.getattr',
    'numpy_dtype_O8': "numpy.dtype('O8')", 'numpy_object_array_pointers': "'O8'",
    'numpy_dtype_flags': 'numpy.dtype state', 'numpy_array_flagged_dtype': 'flags',
    'numpy_huge_shape': 'needs', 'numpy_negative_shape': 'non-negative',
    'build_historybuffer_class_attr': '_statistics_methods',
    'build_historybuffer___class__': '__class__', 'build_on_class_object': 'HistoryBuffer class',
    'setitem_on_class': 'SETITEM', 'deep_nesting': 'nested deeper',
}


@pytest.mark.parametrize('payload', sorted(NAMED))
def test_refusal_names_the_offending_construct(attack_run, payload):
    rec, _ = _record(attack_run, f'{payload}.zip.pth')
    assert rec['error'] == 'UnsafeCheckpointError', rec
    assert NAMED[payload] in rec['message'], rec['message']


def test_load_checkpoint_into_a_model_is_refused_too(attack_run):
    rec, path = _record(attack_run, 'via_load_checkpoint_os_system.zip.pth')
    assert rec['error'] == 'UnsafeCheckpointError' and 'os.system' in rec['message']
    assert rec['side_effects'] == []


@pytest.mark.parametrize('name', CORRUPT)
def test_damaged_file_gets_a_clear_error(attack_run, name):
    rec, path = _record(attack_run, f'{name}.zip.pth')
    assert not rec['loaded'] and rec['side_effects'] == []
    assert 'CheckpointLoadError' in rec['error_mro'], rec
    assert path in rec['message']
    if rec['error'] == 'CorruptCheckpointError':
        assert 'truncated, damaged or not a PyTorch checkpoint' in rec['message']


def test_payload_catalogue_covers_the_required_families():
    """The families the security issue lists are all present (guards against pruning)."""
    families = ['reduce_os_', 'reduce_posix_', 'reduce_subprocess_', 'reduce_builtins_eval',
                'reduce_builtins_exec', 'reduce_open_', 'getattr_self_builtins',
                'getattr_globals', 'rebuild_from_type_', 'numpy_dtype_O', 'numpy_dtype_flags',
                'numpy_object_array', 'build_historybuffer_', 'build_on_class_object',
                'setitem_', 'numpy_huge_shape', 'numpy_negative_shape']
    for family in families:
        assert any(n.startswith(family) for n in PAYLOAD_NAMES), family
    assert Path(__file__).with_name('pickle_payloads.py').exists()
    assert not list(Path(__file__).parent.glob('*.pth'))  # nothing binary committed
    assert os.environ.get('EBA_PRNETCC_TRUSTED_CHECKPOINTS') is None


@pytest.mark.parametrize('file_name', BOUND_FILES)
def test_crafted_file_ends_within_bounds_and_nothing_happens(attack_run, file_name):
    """Crashes, hangs, blow-ups, stale memory, leftovers, escapes: one clear end, no effect."""
    rec, path = _record(attack_run, f'bound_{file_name}.pth')
    assert rec['seconds'] <= PARSER_SECONDS + 5, rec
    assert rec['rss_growth_mib'] < 1024, rec
    if rec['parser_peak_mib'] is not None:
        assert rec['parser_peak_mib'] * 2**20 <= PARSER_MEMORY + rec['size'], rec
    assert rec['side_effects'] == [] and not rec.get('leaked_secret'), rec
    if file_name.split('.')[0] in BOUND_LOADS:
        assert rec['loaded'] and rec['foreign'] == [], rec
    else:
        assert not rec['loaded'] and 'CheckpointLoadError' in rec['error_mro'], rec
        assert path in rec['message']
        assert not any(c in rec['message'] for c in '\x1b\r\x07'), rec['message']


@pytest.mark.parametrize('name,reason', [
    ('deep_tuple_dict_key', 'SIGSEGV'), ('deep_tuple_set_member', 'SIGSEGV'),
    ('dag_tuple_dict_key', f'more than {PARSER_SECONDS} s'), ('dag_tuple_value', 'shared more'),
    ('bytearray_size', 'bytearray(2500000000)'), ('deflate_bomb', 'object pickle of'),
    ('codec_call', "'idna'"), ('torch_tensor_size', 'torch.Tensor'),
    ('storage_without_data', 'tensor data'), ('sparse_out_of_bounds', 'sparse'),
    ('terminal_escape', r'os\x1b[2K\r.system')])
def test_refusal_says_which_bound_or_construct(attack_run, name, reason):
    rec, _ = _record(attack_run, f'bound_{name}.zip.pth')
    assert reason in rec['message'], rec['message']


def test_bound_attack_catalogue_matches_the_payloads(tmp_path):
    built = bound_attacks(str(tmp_path / 'm'), str(tmp_path / 's'))
    assert {k: sorted(v) for k, v in built.items()} == \
        {k: sorted(v) for k, v in BOUND_FORMATS.items()}


def test_bounds_table(attack_run, capsys):
    """Prints the measured time and memory of every crafted load (the numbers the docs cite)."""
    _, results, _ = attack_run
    rows = [(name[len('bound_'):-len('.pth')], rec) for name, rec in sorted(results.items())
            if name.startswith('bound_')]
    assert len(rows) == len(BOUND_FILES)
    lines = [f'{"crafted file":34s} {"bytes":>10s} {"seconds":>8s} {"parser MiB":>10s} '
             f'{"growth MiB":>10s}  outcome']
    for name, rec in rows:
        peak = rec['parser_peak_mib']
        outcome = 'loaded as data' if rec['loaded'] else rec['error']
        lines.append(f'{name:34s} {rec["size"]:10d} {rec["seconds"]:8.2f} '
                     f'{"-" if peak is None else f"{peak:.0f}":>10s} '
                     f'{rec["rss_growth_mib"]:10.1f}  {outcome}')
    with capsys.disabled():
        print('\n' + '\n'.join(lines))
