"""``import eba_prnetcc_mmpose`` without MMPose (deployment) vs with a broken MMPose stack."""
import subprocess
import sys

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


def _run(blocked):
    return subprocess.run([sys.executable, '-c', BLOCK.format(blocked=set(blocked))],
                          capture_output=True, text=True, timeout=300)


def test_without_mmpose_the_package_imports_and_registers_nothing():
    res = _run({'mmpose'})
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "['__version__']"


def test_a_broken_mmpose_stack_is_reported_not_hidden():
    """mmpose present but one of its dependencies missing: the error surfaces."""
    res = _run({'mmcv'})
    assert res.returncode != 0 and "No module named 'mmcv" in res.stderr
