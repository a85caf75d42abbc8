"""tools/analysis/benchmark.py --quick: JSON, markdown and plot in one run; a second run resumes
and measures nothing new."""
import json
import subprocess
import sys

import pytest

from eba_tools import REPO

SCRIPT = 'tools/analysis/benchmark.py'


def test_help_documents_every_argument(check_help):
    check_help('analysis/benchmark.py')


def test_render_of_a_missing_json_is_one_line(run_script, error_lines):
    code, _, err = run_script('analysis/benchmark.py', ['--render', 'nope.json'])
    assert code == 2 and len(error_lines(err)) == 1 and 'nope.json' in err


def run(*args):
    res = subprocess.run([sys.executable, SCRIPT, *args], cwd=REPO, capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]


@pytest.mark.slow
def test_quick_run_writes_json_markdown_and_plot_and_resumes(tmp_path):
    out_json, md, png = tmp_path / 'b.json', tmp_path / 'b.md', tmp_path / 'b.png'
    common = ['--quick', '--threads', '1', '--out', str(out_json), '--work-dir',
              str(tmp_path / 'work')]
    run(*common, '--markdown', str(md), '--plot', str(png))
    res = json.loads(out_json.read_text())
    assert res['machine']['cpu_count'] and len(res['models']) == 2
    assert res['matmul']['fp32']['GMAC_per_s'] > 0 and res['matmul']['bf16']['GMAC_per_s'] > 0
    demo, ref = res['models']['EBA demo 128x96'], res['models']['SimCC R50 128x96']
    assert ref['reference'] and demo['input_hw'] == ref['input_hw'] == [128, 96]
    for rt in ('eager', 'onnxruntime'):
        for b in ('1', '2'):
            cell = demo['runs'][rt][b]
            assert cell['median_ms'] > 0
            assert cell['GMAC_per_s'] == pytest.approx(demo['GMACs'] * cell['images_per_s'])
    assert demo['logit_diff']['onnxruntime']['max_abs_diff'] < 1e-3
    assert 'onnxruntime-1exp-mish' in demo['runs'] and 'onnxruntime-1exp-mish' not in ref['runs']
    # int8: quantised as export_onnx.py --int8 does it, or skipped with the reason
    from eba_prnetcc_mmpose.deploy.runtime import cpu_int8_support
    for rt in ('openvino-int8', 'onnxruntime-int8'):
        for row in (demo, ref):
            cell = row['runs'][rt]['1']
            assert (cell['median_ms'] > 0) if cpu_int8_support() else ('VNNI' in cell['skipped'])
    assert 'int8' in res['matmul']
    if cpu_int8_support():
        assert demo['int8']['openvino']['kept_fp32'] and demo['int8']['onnxruntime']['samples']
    text = md.read_text()
    assert '| SimCC R50 128x96 | 128x96 |' in text and 'Training step' in text
    assert '## int8 (post-training quantisation, VNNI)' in text
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    before = json.loads(out_json.read_text())['models']
    run(*common)
    assert json.loads(out_json.read_text())['models'] == before
    # an interleaved A/B probe of two cells of that run, from its cached exports
    run(*common, '--ab', 'EBA demo 128x96=onnxruntime', 'SimCC R50 128x96=onnxruntime',
        '--ab-pairs', '3', '--markdown', str(md))
    probe = json.loads(out_json.read_text())['ab'][0]
    assert probe['batches']['1']['pairs'] == 3 and probe['batches']['1']['median_ratio'] > 0
    assert '## Interleaved A/B probes' in md.read_text()


def test_int8_goals_say_by_how_much_they_are_missed():
    from eba_tools.bench_report import int8_goals

    def row(name, gmacs, ms, ref=False):
        return dict(name=name, GMACs=gmacs, reference=ref, input_hw=[384, 288],
                    runs={rt: {b: dict(median_ms=t) for b, t in bt.items()}
                          for rt, bt in ms.items()})
    eba = row('EBA R34 MLP 384x288', 10.68, {'openvino-bf16': {'1': 50.0, '32': 1600.0},
                                             'openvino-int8': {'1': 25.0, '32': 1250.0}})
    ref = row('SimCC R50 384x288', 12.42, {'openvino-int8': {'1': 30.0, '32': 1400.0}}, True)
    goals = int8_goals([eba, ref], '1', '32')
    assert any('batch 1: **2.00x** faster (goal >= 1.6x): met' in g for g in goals)
    assert any('batch 32: **1.28x**' in g and 'missed by 0.32x' in g for g in goals)
    assert any('OpenVINO int8, batch 1: **0.83** (goal <= MAC ratio 0.86): met' in g
               for g in goals)
    assert any('OpenVINO int8, batch 32: **0.89**' in g and 'missed by 0.03' in g for g in goals)


@pytest.mark.parametrize('iqr, noisy', [(10.0, False), (60.0, True)])
def test_timings_under_load_are_flagged_not_compared(iqr, noisy):
    """A table whose timings spread more than half their median says its ratios are load."""
    from eba_tools.bench_report import _ms, _noise_note
    quiet = dict(median_ms=100.0, iqr_ms=10.0)
    cell = dict(median_ms=100.0, iqr_ms=iqr)
    assert _ms(cell) == f'100.0 ± {iqr:.1f}'
    assert _ms(dict(median_ms=100.0)) == '100.0'  # JSON written before IQRs were recorded
    note = '\n'.join(_noise_note([quiet, cell], adopted=True))
    assert ('Not valid as a comparison' in note) is noisy
    assert ('Nothing was adopted' in note) is noisy
    assert 'Nothing was adopted' not in '\n'.join(_noise_note([quiet, cell]))
