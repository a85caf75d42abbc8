"""tools/analysis/checkpoint_load_benchmark.py --quick: every loader timed in both settings, the
restricted loader returns what torch returns, and the JSON says on what machine."""
import json
import subprocess
import sys

import pytest

from eba_tools import REPO

SCRIPT = 'tools/analysis/checkpoint_load_benchmark.py'
LOADERS = {'torch.load(weights_only=True)', 'torch.load(weights_only=False)',
           'load_checkpoint_safely'}


def test_help_documents_every_argument(check_help):
    check_help('analysis/checkpoint_load_benchmark.py')


def test_quick_run_times_every_loader_in_both_settings(tmp_path):
    out = tmp_path / 'load.json'
    res = subprocess.run([sys.executable, SCRIPT, '--quick', '--out', str(out)], cwd=REPO,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    result = json.loads(out.read_text())
    assert 7.5 < result['file_mib'] < 9 and result['machine']['model']
    assert set(result['median_seconds']) == {'first load in a fresh process',
                                             'repeated loads in one process'}
    for mode, med in result['median_seconds'].items():
        assert set(med) == LOADERS and all(0 < t < 30 for t in med.values())
        ratios = result['ratio_to_torch_weights_only'][mode]
        base = med['torch.load(weights_only=True)']
        for loader, t in med.items():  # each ratio is that loader's median over the baseline's
            assert ratios[loader] == pytest.approx(t / base, rel=0.01, abs=0.01)
    assert 'first load in a fresh process' in res.stdout
