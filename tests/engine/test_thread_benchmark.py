"""tools/analysis/thread_benchmark.py --quick: both arms run quiet and beside a competitor
process, and the JSON holds the ratios, absolute numbers and the CPU they were measured on."""
import json
import math
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'analysis', 'thread_benchmark.py')


@pytest.mark.slow
def test_quick_run_writes_ratios_and_machine(tmp_path):
    out = tmp_path / 'threads.json'
    res = subprocess.run([sys.executable, SCRIPT, '--quick', '--out', str(out)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT,
                         env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    r = json.loads(out.read_text())
    assert r['mode'] == 'quick' and r['machine']['cpu'] and 'cpu_flags' in r['machine']
    conds = ('quiet', 'competitor')  # --quick leaves out the 1-thread competitor
    for arm in ('default', 'configured'):
        for cond in conds:
            p = r['arms'][arm]['phases'][cond]
            assert p['its_per_s'] > 0
            assert (cond == 'quiet') != ('competitor_steps_per_s' in p)
    assert r['arms']['configured']['torch_threads'] == 1  # the demo config's CPUThreadsHook
    for v in list(r['ratios']['configured_over_default'].values()) + list(
            r['ratios']['speed_held']['default'].values()):
        assert math.isfinite(v) and v > 0
    assert 'configured / default it/s' in res.stdout
