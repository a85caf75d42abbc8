"""tools/deployment/export_onnx.py: writes ONNX, metadata and IR, prints the parity check, and
reports bad arguments in one line."""
import pytest

from deploy_helpers import has_openvino
from eba_tools import DEMO_CONFIG

SCRIPT = 'deployment/export_onnx.py'


def test_help_documents_every_argument(check_help):
    check_help(SCRIPT)


@pytest.mark.parametrize('args,key_fact', [
    (['nope.py'], 'nope.py'),
    ([DEMO_CONFIG, 'nope.pth'], 'nope.pth'),
    ([DEMO_CONFIG, '--batch', '0'], '--batch'),
])
def test_bad_arguments_are_one_line(run_script, error_lines, args, key_fact):
    code, _, err = run_script(SCRIPT, args)
    assert code == 2 and 'Traceback' not in err
    assert len(error_lines(err)) == 1 and key_fact in error_lines(err)[0]


def test_export_writes_every_file_and_checks_parity(run_script, tmp_path, demo_checkpoint):
    onnx = tmp_path / 'm.onnx'
    code, out, err = run_script(SCRIPT, [DEMO_CONFIG, demo_checkpoint, '--out', str(onnx)])
    assert code == 0, err
    assert onnx.is_file() and (tmp_path / 'm.json').is_file()
    assert (tmp_path / 'm.xml').is_file() == has_openvino()
    assert 'onnxruntime fp32 vs PyTorch' in out
