"""tools/analysis/deploy_accuracy.py --quick: every runtime/precision row with and without flip,
AP, distances and the generated docs section, in one smoke run; bad arguments in one line."""
import json

import pytest

SCRIPT = 'analysis/deploy_accuracy.py'


def test_help_documents_every_argument(check_help):
    check_help(SCRIPT)


def test_a_real_run_needs_a_checkpoint(run_script, error_lines):
    code, _, err = run_script(SCRIPT, [])
    assert code == 2 and 'CHECKPOINT' in error_lines(err)[0]


def test_quick_run_writes_json_and_replaces_the_docs_section(run_script, tmp_path):
    pytest.importorskip('nncf')
    from eba_prnetcc_mmpose.deploy.runtime import cpu_bf16_support, cpu_int8_support
    from eba_tools.bench_accuracy import MARK_END, MARK_START
    md = tmp_path / 'deploy.md'
    md.write_text(f'# before\n\n{MARK_START}\nold\n{MARK_END}\n\n# after\n')
    out = tmp_path / 'acc.json'
    code, stdout, err = run_script(SCRIPT, ['--quick', '--threads', '1', '--work-dir',
                                            str(tmp_path / 'work'), '--out', str(out),
                                            '--markdown', str(md)])
    assert code == 0, err
    res = json.loads(out.read_text())
    rows = res['rows']
    assert set(rows) == {f'{b}-{p}-{f}' for b, p in [
        ('eager', 'fp32'), ('openvino', 'fp32'), ('openvino', 'bf16'), ('openvino', 'int8'),
        ('onnxruntime', 'fp32'), ('onnxruntime', 'int8')] for f in ('flip', 'noflip')}
    eager = rows['eager-fp32-flip']
    assert eager['distance']['max_px'] == 0 and 0 <= eager['ap']['AP'] <= 1
    assert rows['onnxruntime-fp32-noflip']['distance']['max_px'] < 0.01  # fp32 = eager
    assert ('skipped' in rows['openvino-bf16-flip']) == (cpu_bf16_support() is None)
    assert ('skipped' in rows['onnxruntime-int8-flip']) == (cpu_int8_support() is None)
    assert set(res['rows_smoothed']) == set(rows)
    assert res['int8']['default']['calibration']['crops'] == 8
    text = md.read_text()
    assert text.startswith('# before') and text.rstrip().endswith('# after')
    assert 'old' not in text and '| OpenVINO int8 (NNCF) |' in text
