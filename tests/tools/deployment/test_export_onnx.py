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


def test_export_writes_every_file_and_checks_parity(tmp_path, demo_checkpoint):
    """As users run it, in a fresh process (in a long-lived test worker that had run much else,
    the in-process export took the worker down twice; alone it never did)."""
    import os.path as osp
    import subprocess
    import sys

    from eba_tools import REPO
    onnx = tmp_path / 'm.onnx'
    res = subprocess.run([sys.executable, osp.join(REPO, 'tools', SCRIPT), DEMO_CONFIG,
                          demo_checkpoint, '--out', str(onnx)], capture_output=True, text=True,
                         timeout=900, cwd=REPO)
    code, out, err = res.returncode, res.stdout, res.stderr
    assert code == 0, err[-4000:]
    assert onnx.is_file() and (tmp_path / 'm.json').is_file()
    assert (tmp_path / 'm.xml').is_file() == has_openvino()
    assert 'onnxruntime fp32 vs PyTorch' in out
    # the demo pairs label_softmax with un-normalised targets: scores on a 0-1 scale
    import json
    assert json.loads((tmp_path / 'm.json').read_text())['score_scale'] == 1.0


@pytest.fixture(scope='module')
def tiny_coco(tmp_path_factory):
    """A tiny synthetic COCO set (3 training images) to calibrate int8 on."""
    from eba_tools.synthetic_coco import generate_synthetic_coco
    root = tmp_path_factory.mktemp('coco')
    generate_synthetic_coco(str(root), num_train=3, num_val=1, progress=False)
    return root


def test_int8_export_writes_models_and_metadata(run_script, tmp_path, demo_checkpoint,
                                                tiny_coco):
    import json

    from eba_prnetcc_mmpose.deploy.runtime import cpu_int8_support
    onnx = tmp_path / 'm.onnx'
    backends = ['openvino', 'onnxruntime'] if has_openvino() else ['onnxruntime']
    code, out, err = run_script(SCRIPT, [
        DEMO_CONFIG, demo_checkpoint, '--out', str(onnx), '--int8', '--calib-num', '4',
        '--int8-backends', *backends,
        '--calib-ann', str(tiny_coco / 'annotations' / 'person_keypoints_train.json'),
        '--calib-img-dir', str(tiny_coco / 'images' / 'train')] + (
        [] if has_openvino() else ['--no-openvino']))
    assert code == 0, err
    meta = json.loads((tmp_path / 'm.json').read_text())
    assert meta['int8']['calibration']['crops'] == 4
    assert (tmp_path / 'm.int8.onnx').is_file()
    assert (tmp_path / 'm.int8.xml').is_file() == has_openvino()
    assert 'kept in fp32: /mlp_head_x' in out
    if cpu_int8_support():
        assert 'onnxruntime int8 vs PyTorch' in out


def test_int8_for_openvino_needs_the_ir(run_script, error_lines):
    code, _, err = run_script(SCRIPT, [DEMO_CONFIG, '--int8', '--no-openvino'])
    assert code == 2 and '--no-openvino' in error_lines(err)[0]
