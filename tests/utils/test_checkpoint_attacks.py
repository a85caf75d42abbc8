"""Attack suite: hostile checkpoints are refused and nothing happens while they are read.

Every payload is assembled by ``pickle_payloads`` at test time (nothing binary is committed),
written in both of ``torch.load``'s formats (zip and legacy), and loaded through MMEngine's
``_load_checkpoint`` / ``load_checkpoint`` in ONE child interpreter that imported the plugin the
way a config's ``custom_imports`` does. After every load the child checks that no file was
created, no secret was read into the result, no name was planted in ``builtins``, MMEngine's
``HistoryBuffer`` class (and its statistics table), ``os.environ`` and the working directory are
unchanged; the parent then checks the child survived (no segfault) and each load was refused with
a message that names the file.
"""
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from pickle_payloads import FORMATS, attacks, oversized_tensor_zip

CHILD = r'''
import builtins, json, os, sys
import eba_prnetcc_mmpose  # noqa: F401  (what custom_imports does)
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint, load_checkpoint

folder, marker, secret, out = sys.argv[1:5]
model = torch.nn.Linear(2, 2)


def snapshot():
    return dict(builtins=sorted(dir(builtins)),
                hb_class={k: repr(v) for k, v in vars(HistoryBuffer).items()},
                hb_methods={k: repr(v) for k, v in HistoryBuffer._statistics_methods.items()},
                environ=dict(os.environ), cwd=os.getcwd())


before = snapshot()
results = {}
for name in sorted(os.listdir(folder)):
    path = os.path.join(folder, name)
    rec = dict(loaded=False)
    try:
        if name.startswith('via_load_checkpoint'):
            load_checkpoint(model, path, map_location='cpu')
        else:
            result = _load_checkpoint(path, map_location='cpu')
            rec['loaded'] = True
            rec['leaked_secret'] = 'TOP-SECRET' in repr(result)
    except Exception as e:  # noqa: BLE001 - we record what was raised
        rec['error'] = type(e).__name__
        rec['error_mro'] = [c.__name__ for c in type(e).__mro__]
        rec['message'] = str(e)
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
    'rebuild_from_type_getattr': '_statistics_methods',
    'numpy_dtype_O8': "numpy.dtype('O8')", 'numpy_object_array_pointers': "'O8'",
    'numpy_dtype_flags': 'numpy.dtype state', 'numpy_array_flagged_dtype': 'flags',
    'numpy_huge_shape': 'needs', 'numpy_negative_shape': 'non-negative',
    'build_historybuffer_class_attr': '_statistics_methods',
    'build_historybuffer___class__': '__class__', 'build_on_class_object': "<class 'type'>",
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
