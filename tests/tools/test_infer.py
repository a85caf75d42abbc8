"""tools/infer.py: top-down inference over images through MMPoseInferencer; a bad input is
skipped, a missing checkpoint is a one-line error, and it says when nothing would be drawn."""
import cv2
import numpy as np

from eba_tools import DEMO_CONFIG

SCRIPT = 'infer.py'


def test_help_documents_every_argument_with_its_default(run_script):
    code, out, _ = run_script(SCRIPT, ['--help'])
    assert code == 0
    text = ' '.join(out.split())
    for arg in ('--inputs', '--out-dir', '--det-config', '--det-checkpoint', '--det-cat-ids',
                '--box-file', '--bbox-thr', '--nms-thr', '--kpt-thr', '--device'):
        assert arg in text, arg
    for default in ('(default: work_dirs/infer)', '(default: 0.3)', '(default: [0])',
                    '(default: cpu)', '(default: None)'):
        assert default in text, default


def test_missing_checkpoint_is_one_line(run_script, tmp_path):
    code, _, err = run_script(SCRIPT, [DEMO_CONFIG, str(tmp_path / 'missing.pth'),
                                       '--inputs', str(tmp_path)])
    assert code == 2 and 'Traceback' not in err and 'missing.pth' in err.strip().splitlines()[-1]


def test_bad_input_skipped_and_nothing_drawn_said(run_script, tmp_path):
    img = tmp_path / 'img0.jpg'
    cv2.imwrite(str(img), np.random.default_rng(0).integers(0, 255, (120, 90, 3), np.uint8))
    code, out, err = run_script(SCRIPT, [DEMO_CONFIG, '--inputs', str(img),
                                         str(tmp_path / 'nope.jpg'), '--out-dir',
                                         str(tmp_path / 'o'), '--kpt-thr', '1e6'])
    assert code == 0, err
    assert 'processed 1 input(s), skipped 1' in out and 'nope.jpg' in out
    last = out.strip().splitlines()[-1]
    assert '--kpt-thr' in last and 'img0.jpg' in last  # the input and the setting to change
    assert (tmp_path / 'o' / 'keypoints.json').is_file()
