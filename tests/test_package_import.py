"""``import eba_prnetcc_mmpose``: registers the modules and routes MMEngine's checkpoint loading,
and changes nothing else in the process; imports without MMPose (deployment); a broken MMPose
stack is reported, not hidden."""
import json
import subprocess
import sys

import pytest

# What a fresh interpreter looks like: the plugin's dependencies are imported first (their own
# import-time effects are not the plugin's), then the state is taken before and after
# ``import eba_prnetcc_mmpose``. Registries and MMEngine's checkpoint loaders are what the
# import is for; they are compared separately.
STATE = r'''
import importlib, json, sys

deps = json.loads(sys.argv[1])
for name in deps:
    try:
        importlib.import_module(name)
    except Exception:  # a private or platform-specific module: its parent is imported anyway
        pass
import matplotlib  # imported first, so that a backend switch would show

def digest(value):
    import hashlib
    return hashlib.sha1(repr(value).encode()).hexdigest()

def state():
    import faulthandler, gc, locale, logging, os, random, signal, socket, threading, warnings
    import numpy as np
    import torch
    loggers = {name: (type(lg).__name__, lg.level, lg.propagate, lg.disabled,
                      [type(h).__name__ for h in lg.handlers])
               for name, lg in logging.Logger.manager.loggerDict.items()
               if isinstance(lg, logging.Logger)}
    root = logging.getLogger()
    sigs = {}
    for s in signal.valid_signals():
        try:
            sigs[int(s)] = repr(signal.getsignal(s))
        except (ValueError, OSError):
            pass
    mask = os.umask(0); os.umask(mask)
    return dict(
        excepthook=repr(sys.excepthook), displayhook=repr(sys.displayhook),
        unraisablehook=repr(sys.unraisablehook), threading_excepthook=repr(threading.excepthook),
        breakpointhook=repr(sys.breakpointhook), meta_path=[repr(f) for f in sys.meta_path],
        path_hooks=[repr(h) for h in sys.path_hooks], sys_path=list(sys.path),
        recursion_limit=sys.getrecursionlimit(), switch_interval=sys.getswitchinterval(),
        root_logger=(root.level, [type(h).__name__ for h in root.handlers]), loggers=loggers,
        logging_disable=logging.root.manager.disable,
        warnings_filters=[repr(f) for f in warnings.filters],
        showwarning=repr(warnings.showwarning), signals=sigs, environ=dict(os.environ),
        cwd=os.getcwd(), umask=mask, threads=sorted(t.name for t in threading.enumerate()),
        gc_thresholds=gc.get_threshold(), gc_enabled=gc.isenabled(),
        faulthandler=faulthandler.is_enabled(), socket_timeout=socket.getdefaulttimeout(),
        locale=locale.setlocale(locale.LC_ALL), random_state=digest(random.getstate()),
        numpy_random=digest(np.random.get_state()[1].tolist()), numpy_err=np.geterr(),
        numpy_print=repr(np.get_printoptions()),
        matplotlib_backend=dict.__getitem__(matplotlib.rcParams, 'backend'),
        pyplot_imported='matplotlib.pyplot' in sys.modules,
        torch_dtype=str(torch.get_default_dtype()), torch_threads=torch.get_num_threads(),
        torch_interop_threads=torch.get_num_interop_threads(),
        torch_grad=torch.is_grad_enabled(), torch_seed=torch.initial_seed(),
        torch_rng=digest(torch.get_rng_state().tolist()),
        torch_deterministic=torch.are_deterministic_algorithms_enabled(),
        torch_matmul_precision=torch.get_float32_matmul_precision(),
        cudnn=(torch.backends.cudnn.enabled, torch.backends.cudnn.benchmark,
               torch.backends.cudnn.deterministic),
        torch_safe_globals=sorted(repr(g) for g in torch.serialization.get_safe_globals()),
    )

before, modules_before = state(), set(sys.modules)
import eba_prnetcc_mmpose
after = state()
new_modules = sorted(m for m in set(sys.modules) - modules_before
                     if not m.startswith('eba_prnetcc_mmpose'))
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.runner import CheckpointLoader
from mmpose.registry import MODELS
registered = [n for n in ('EBAResNet', 'MLPSimCCHead', 'EBAKLDiscretLoss') if n in MODELS]
registered += ['Mish'] if ROOT_MODELS.get('Mish') is not None else []
from mmengine.runner import checkpoint as mmengine_checkpoint
loaders = {k: f.__module__ for k, f in CheckpointLoader._schemes.items()}
loaders['load_url'] = mmengine_checkpoint.load_url.__module__
print(json.dumps(dict(before=before, after=after, new_modules=new_modules,
                      registered=registered, loaders=loaders), default=repr))
'''

LIST_DEPS = r'''
import json, sys
before = set(sys.modules)
import eba_prnetcc_mmpose
print(json.dumps([m for m in sys.modules if m not in before
                  and not m.startswith('eba_prnetcc_mmpose')]))
'''


def _python(code, *args):
    res = subprocess.run([sys.executable, '-c', code, *args], capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope='module')
def import_effects():
    deps = _python(LIST_DEPS)
    return _python(STATE, json.dumps(deps))


def test_import_changes_no_process_state(import_effects):
    before, after = import_effects['before'], import_effects['after']
    changed = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
    assert not changed


def test_import_imports_nothing_beyond_its_dependencies(import_effects):
    """Nothing is imported lazily at import time (a plot library, a test helper ...)."""
    assert import_effects['new_modules'] == []


def test_import_registers_the_modules_and_routes_checkpoint_loading(import_effects):
    assert import_effects['registered'] == ['EBAResNet', 'MLPSimCCHead', 'EBAKLDiscretLoss',
                                            'Mish']
    ours = {k for k, m in import_effects['loaders'].items() if m.startswith('eba_prnetcc_mmpose.')}
    assert '' in ours  # local files
    assert ours & {'load_url', 'http://'}  # downloads: MMEngine's load_url or the URL scheme


BLOCK = '''
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {blocked!r}:
            raise ModuleNotFoundError(f'No module named {{name!r}}', name=name)
sys.meta_path.insert(0, Block())
import eba_prnetcc_mmpose
print(sorted(eba_prnetcc_mmpose.__all__))
'''


def _run_blocked(blocked):
    return subprocess.run([sys.executable, '-c', BLOCK.format(blocked=set(blocked))],
                          capture_output=True, text=True, timeout=300)


def test_without_mmpose_the_package_imports_and_registers_nothing():
    res = _run_blocked({'mmpose'})
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "['__version__']"


def test_a_broken_mmpose_stack_is_reported_not_hidden():
    """mmpose present but one of its dependencies missing: the error surfaces."""
    res = _run_blocked({'mmcv'})
    assert res.returncode != 0 and "No module named 'mmcv" in res.stderr
