"""Run a script of ``tools/`` in-process (its ``main(argv)``): no interpreter start per call."""
import importlib.util
import os.path as osp

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture
def run_tool(capsys):
    """``run_tool('check_dataset.py', [...]) -> (exit status, stdout, stderr)``."""

    def run(name, argv):
        spec = importlib.util.spec_from_file_location(f'tool_{name[:-3]}',
                                                      osp.join(ROOT, 'tools', name))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        try:
            module.main(list(argv))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run
