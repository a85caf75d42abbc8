"""Bad input to tools/setup_env.sh: it stops with a message naming the problem and the fix."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / 'tools' / 'setup_env.sh'


def run_setup(tmp_path, env_extra, path=None):
    env = dict(os.environ, **env_extra)
    if path is not None:
        env['PATH'] = path
    venv = tmp_path / 'venv'
    res = subprocess.run([shutil.which('bash'), str(SCRIPT), str(venv)], capture_output=True,
                         text=True, env=env, timeout=60)
    return res, venv


def test_unsupported_python_is_refused(tmp_path):
    fake = tmp_path / 'python3.8'
    fake.write_text('#!/bin/sh\necho 3.8\n')
    fake.chmod(0o755)
    res, venv = run_setup(tmp_path, {'PYTHON': str(fake)})
    assert res.returncode != 0
    assert 'Python 3.8 is not supported' in res.stderr and 'PYTHON=' in res.stderr
    assert not (venv / '.eba-setup-complete').exists() and not venv.exists()


def test_missing_compiler_is_named(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for tool in ['dirname', 'date', 'rm', 'realpath']:
        (bin_dir / tool).symlink_to(shutil.which(tool))
    res, venv = run_setup(tmp_path, {'PYTHON': sys._base_executable}, path=str(bin_dir))
    assert res.returncode != 0
    assert "'gcc' not found" in res.stderr and 'build-essential' in res.stderr
    assert not venv.exists()


@pytest.mark.parametrize('target', ['test', 'demo'])
def test_make_targets_depend_on_a_completed_setup(target):
    """`make test`/`make demo` rebuild the environment unless the completion stamp exists."""
    out = subprocess.run(['make', '-n', target, 'VENV=/nonexistent-venv'], cwd=ROOT,
                         capture_output=True, text=True).stdout
    assert 'tools/setup_env.sh /nonexistent-venv' in out
