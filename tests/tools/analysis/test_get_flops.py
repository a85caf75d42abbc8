"""tools/analysis/get_flops.py: counts at the size the built model takes; bad arguments in one
line. (The paper rows' counts are tested in tests/tools/eba_tools/test_complexity.py.)"""
import json

import pytest

from eba_tools import DEMO_CONFIG

SCRIPT = 'analysis/get_flops.py'


def test_help_documents_every_argument(check_help):
    check_help(SCRIPT)


def test_size_comes_from_the_model_not_the_top_level_codec(run_script, tmp_path):
    """A child config whose model kept the inherited 128x96 while its top-level codec says
    64x64: both configs are counted at 128x96."""
    cfg = tmp_path / 'child.py'
    cfg.write_text(f"_base_ = ['{DEMO_CONFIG}']\ncodec = dict(type='SimCCLabel', "
                   "input_size=(64, 64), sigma=(3.0, 3.0), simcc_split_ratio=2.0)\n")
    code, out, err = run_script(SCRIPT, [str(cfg), DEMO_CONFIG, '--json',
                                         str(tmp_path / 'c.json')])
    assert code == 0, err
    assert out.count('input 128x96 (HxW)') == 2
    rows = json.loads((tmp_path / 'c.json').read_text())
    assert [tuple(r['input_size']) for r in rows] == [(96, 128), (96, 128)]
    assert rows[0]['params'] == rows[1]['params'] > 1e6


@pytest.mark.parametrize('args,key_fact', [
    ([DEMO_CONFIG, '--input-size', '256', '192'], '128 x 96'),  # the size the model takes
    ([], '--paper-table'),
    ([DEMO_CONFIG, '--markdown', 'x.md'], '--paper-table'),
    ([DEMO_CONFIG, '--input-size', '256', 'x'], '--input-size'),
])
def test_bad_arguments_are_one_line(run_script, error_lines, args, key_fact):
    code, _, err = run_script(SCRIPT, args)
    assert code == 2 and 'Traceback' not in err
    assert len(error_lines(err)) == 1 and key_fact in error_lines(err)[0]
