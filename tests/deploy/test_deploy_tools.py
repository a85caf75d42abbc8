"""Deployment CLIs: export writes ONNX + IR + metadata, predict handles images/folders/videos,
bad arguments give one clean line, every argument has help text."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from _deploy_helpers import DEMO, ROOT, has_openvino, synthetic_image

TOOLS = ['tools/deployment/export_onnx.py', 'tools/deployment/predict.py',
         'tools/analysis/get_flops.py', 'tools/analysis/benchmark.py']


def run(*args, ok=True):
    res = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    if ok:
        assert res.returncode == 0, res.stderr[-3000:]
    return res


def load_parser(tool):
    import argparse
    import importlib.util
    spec = importlib.util.spec_from_file_location('tool_under_test', f'{ROOT}/{tool}')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    parser = module.build_parser()
    assert parser.formatter_class is argparse.ArgumentDefaultsHelpFormatter
    return parser


@pytest.mark.parametrize('tool', TOOLS)
def test_help_documents_every_argument_with_defaults(tool):
    parser = load_parser(tool)
    for action in parser._actions:
        assert action.help and action.help.strip(), f'{tool}: {action.dest} has no help text'
    text = parser.format_help()
    optional_with_default = [a for a in parser._actions if a.option_strings and a.default
                             not in (None, False, '==SUPPRESS==')]
    assert text.count('(default:') >= len(optional_with_default)


@pytest.mark.parametrize('tool,args,match', [
    ('tools/deployment/export_onnx.py', ['nope.py'], 'config file not found: nope.py'),
    ('tools/deployment/export_onnx.py', [DEMO, 'nope.pth'], 'checkpoint not found'),
    ('tools/deployment/predict.py', ['nope.onnx', 'x.jpg'], 'input not found: x.jpg'),
    ('tools/analysis/get_flops.py', [DEMO, '--input-size', '256', '192'],
     'built for H x W = 128 x 96 and cannot run at 256 x 192'),
    ('tools/analysis/get_flops.py', [], 'give config files'),
    ('tools/analysis/benchmark.py', ['--render', 'nope.json'], 'nope.json'),
    ('tools/analysis/get_flops.py', [DEMO, '--input-size', '256', 'x'], "invalid int value: 'x'"),
    ('tools/deployment/predict.py', ['m.onnx', 'x.jpg', '--backend', 'tf'], 'invalid choice'),
])
def test_bad_arguments_give_one_clean_line(tool, args, match):
    res = run(tool, *args, ok=False)
    assert res.returncode == 2
    lines = [line for line in res.stderr.strip().splitlines() if 'Warning' not in line
             and not line.startswith(' ')]
    assert 'Traceback' not in res.stderr and match in lines[-1], res.stderr[-2000:]
    assert 'usage:' not in res.stderr  # one line, not argparse's usage block


def test_export_and_predict_images_folder_and_video(tmp_path, demo_checkpoint):
    onnx = str(tmp_path / 'm.onnx')
    out = run('tools/deployment/export_onnx.py', DEMO, demo_checkpoint, '--out', onnx).stdout
    assert 'onnxruntime fp32 vs PyTorch' in out
    assert (tmp_path / 'm.json').exists()
    assert (tmp_path / 'm.xml').exists() == has_openvino()
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for i in range(2):
        cv2.imwrite(str(folder / f'{i}.png'), synthetic_image(150, 200, i))
    video = str(tmp_path / 'clip.avi')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 5, (200, 150))
    for i in range(3):
        writer.write(synthetic_image(150, 200, i))
    writer.release()
    boxes = tmp_path / 'boxes.json'
    boxes.write_text(json.dumps({'0.png': [[10, 10, 100, 140], [100, 20, 190, 140]]}))
    backend = 'openvino' if has_openvino() else 'onnxruntime'
    res = run('tools/deployment/predict.py', onnx, str(folder), video, '--bboxes', str(boxes),
              '--backend', backend, '--out-dir', str(tmp_path / 'out'))
    pred = json.loads((tmp_path / 'out' / 'predictions.json').read_text())
    assert set(pred['predictions']) == {'0.png', '1.png', 'clip.avi:0', 'clip.avi:1',
                                        'clip.avi:2'}
    assert len(pred['predictions']['0.png']) == 2 and len(pred['predictions']['1.png']) == 1
    person = pred['predictions']['0.png'][0]
    assert np.array(person['keypoints']).shape == (17, 2) and len(person['keypoint_scores']) == 17
    assert (tmp_path / 'out' / '0.png').exists() and (tmp_path / 'out' / 'clip.mp4').exists()
    assert 'wrote' in res.stdout and '%' in res.stderr  # the progress bar
