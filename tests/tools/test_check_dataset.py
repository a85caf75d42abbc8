"""tools/check_dataset.py: OK lines for good data, one problem per line and exit 1 for bad data,
one-line usage errors (exit 2)."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from eba_tools import REPO
from eba_tools.demo_job import set_data_root
from eba_tools.synthetic_squares import generate_synthetic_squares

SCRIPT = 'check_dataset.py'
CUSTOM = f'{REPO}/configs/custom/simcc_eba-res18-mlp_1xb16-30e_squares5-96x96.py'


@pytest.fixture(scope='module')
def squares_config(tmp_path_factory):
    """The worked 5-keypoint config pointed at a tiny squares set, dumped to a file."""
    root = tmp_path_factory.mktemp('squares_cli')
    generate_synthetic_squares(str(root / 'data'), num_train=3, num_val=2, progress=False)
    cfg = Config.fromfile(CUSTOM)
    set_data_root(cfg, str(root / 'data'))
    cfg.dump(str(root / 'ok.py'))
    return str(root / 'ok.py')


def test_a_consistent_config(run_script, squares_config):
    code, out, err = run_script(SCRIPT, [squares_config, '--no-decode'])
    assert code == 0, err
    assert 'squares_train.json' in out and '5 keypoints' in out


def test_a_wrong_setting_from_the_command_line(squares_config):
    """A subprocess, as users run it: the problems on stderr, no traceback, exit 1."""
    res = subprocess.run([sys.executable, f'{REPO}/tools/{SCRIPT}', squares_config, '--no-decode',
                          '--cfg-options', 'model.head.out_channels=17'],
                         capture_output=True, text=True)
    assert res.returncode == 1 and 'Traceback' not in res.stderr
    assert 'out_channels=5' in res.stderr  # the setting to change


def test_an_annotation_file(run_script, tmp_path):
    (tmp_path / 'img').mkdir()
    cv2.imwrite(str(tmp_path / 'img' / '1.jpg'), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / 'ann.json').write_text(json.dumps(dict(
        images=[dict(id=1, file_name='1.jpg')], annotations=[],
        categories=[dict(id=1, name='x', keypoints=['a', 'b'])])))
    args = ['--ann-file', str(tmp_path / 'ann.json'), '--img-dir', str(tmp_path / 'img')]
    code, out, _ = run_script(SCRIPT, args)
    assert code == 0 and '1 images' in out and '2 keypoints' in out
    (tmp_path / 'img' / '1.jpg').write_bytes(b'x')
    code, _, err = run_script(SCRIPT, args)
    assert code == 1 and '1.jpg' in err


@pytest.mark.parametrize('args,code,key_fact', [
    (['missing_config.py'], 2, 'missing_config.py'),
    ([], 2, '--ann-file and --img-dir'),
    (['--ann-file', 'a.json'], 2, '--ann-file and --img-dir'),
    (['x.py', '--ann-file', 'a.json'], 2, 'not both'),
    (['--ann-file', 'nope.json', '--img-dir', '.'], 1, 'nope.json'),
])
def test_bad_arguments_one_line(tmp_path, monkeypatch, run_script, args, code, key_fact):
    monkeypatch.chdir(tmp_path)
    status, _, err = run_script(SCRIPT, args)
    assert status == code and 'Traceback' not in err
    assert key_fact in err.strip().splitlines()[-1]  # the error is the last line (after usage)


def test_unparsable_config_one_line(tmp_path, run_script):
    (tmp_path / 'bad.py').write_text('model = dict(\n')
    code, _, err = run_script(SCRIPT, [str(tmp_path / 'bad.py')])
    assert code == 2 and len(err.strip().splitlines()) == 1 and 'bad.py' in err


def test_help_documents_every_argument_with_defaults(run_script):
    code, out, _ = run_script(SCRIPT, ['--help'])
    assert code == 0
    for arg in ('config', '--ann-file', '--img-dir', '--bbox-file', '--no-decode', '--no-build',
                '--cfg-options'):
        assert arg in out
    assert out.count('(default:') == 7


def test_inherited_settings_that_cannot_fit(run_script, squares_config):
    """Weights of another depth fail the check; a warm-up of many epochs is a warning."""
    code, out, err = run_script(SCRIPT, [
        squares_config, '--no-decode', '--cfg-options', 'param_scheduler.0.end=500',
        'model.backbone.init_cfg.type=Pretrained',
        'model.backbone.init_cfg.checkpoint=torchvision://resnet50'])
    assert code == 1
    assert "'torchvision://resnet50' is a ResNet-50 by its name" in err
    assert 'warning: param_scheduler[0] (LinearLR) warms up over end=500 iterations' in err
    code, out, err = run_script(SCRIPT, [squares_config, '--no-decode', '--cfg-options',
                                         'param_scheduler.0.end=500'])
    assert code == 0 and 'warning: param_scheduler[0]' in err


def _coco(tmp_path, **changes):
    """A valid one-image keypoint file (``ann.json``) and image folder, with ``changes``."""
    (tmp_path / 'img').mkdir(exist_ok=True)
    cv2.imwrite(str(tmp_path / 'img' / '1.jpg'), np.zeros((8, 8, 3), np.uint8))
    data = dict(images=[dict(id=1, file_name='1.jpg')],
                annotations=[dict(id=1, image_id=1, bbox=[0, 0, 4, 4], keypoints=[1, 1, 2] * 2)],
                categories=[dict(id=1, name='x', keypoints=['a', 'b'])])
    for key, change in changes.items():
        change(data)
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    return ['--ann-file', str(tmp_path / 'ann.json'), '--img-dir', str(tmp_path / 'img')]


def _no_image_id(d):
    del d['images'][0]['id']


def _set_file_name(name):
    def change(d):
        d['images'][0]['file_name'] = name
    return change


def _problem_lines(err):
    """stderr without the progress bar (``\r``-separated)."""
    return [x for x in err.splitlines() if x and 'checking images' not in x]


@pytest.mark.parametrize('setup,facts', [  # what is given -> what the one problem line says
    (lambda t: _coco(t, c=lambda d: d.update(categories=[1])),
     ('categories[0] is an int', 'expected an object')),
    (lambda t: _coco(t, c=_no_image_id), ('images[0] has no "id"',)),
    (lambda t: (_coco(t), (t / 'ann.json').write_text('[' * 100000 + ']' * 100000))[0],
     ('ann.json nests arrays or objects too deeply',)),
    (lambda t: _coco(t, c=_set_file_name('/etc/passwd')),
     ('/etc/passwd', 'absolute path', 'refused, not read')),
    (lambda t: _coco(t, c=_set_file_name('../x.png')),
     ('../x.png', 'leads outside the image folder', 'refused, not read')),
    (lambda t: _coco(t) + ['--bbox-file', str(t / 'dets.yaml')],
     ('bbox_file=', 'dets.yaml', 'not a .json file', 'COCO-format JSON')),
    (lambda t: _coco(t) + ['--bbox-file', str(t / 'dets.pkl')],
     ('dets.pkl', 'not a .json file', 'pickle')),
    (lambda t: (_coco(t) + ['--bbox-file', str(t / 'dets.json')],
                (t / 'dets.json').write_text('not: [json'))[0],
     ('dets.json is not valid JSON',)),
])
def test_bad_untrusted_files_one_line_each(tmp_path, run_script, setup, facts):
    marker = tmp_path / 'payload_ran'
    payload = f'!!python/object/apply:builtins.open ["{marker}", "w"]\n'
    (tmp_path / 'dets.yaml').write_text(payload)
    (tmp_path / 'dets.pkl').write_text(payload)
    code, _, err = run_script(SCRIPT, setup(tmp_path))
    assert code == 1 and 'Traceback' not in err and not marker.exists()
    lines = _problem_lines(err)
    assert lines[0].startswith('dataset check FAILED: ')
    assert any(all(f in x for f in facts) for x in lines), lines


def test_outside_images_get_one_message_whether_they_exist_or_not(tmp_path, run_script):
    """Refused before the file system is asked: the message does not tell what exists."""
    errs = []
    for name in ('/etc/passwd', '/etc/no_such_file_here'):
        code, _, err = run_script(SCRIPT, _coco(tmp_path, c=_set_file_name(name)))
        assert code == 1
        errs.append(_problem_lines(err.replace(name, 'NAME')))
    assert errs[0] == errs[1]


def test_a_config_with_a_yaml_box_file(run_script, squares_config, tmp_path):
    marker = tmp_path / 'payload_ran'
    (tmp_path / 'dets.yaml').write_text(f'!!python/object/apply:builtins.open ["{marker}", "w"]\n')
    code, _, err = run_script(SCRIPT, [
        squares_config, '--no-decode', '--no-build', '--cfg-options',
        f'val_dataloader.dataset.bbox_file={tmp_path}/dets.yaml'])
    assert code == 1 and 'Traceback' not in err and not marker.exists()
    assert (f'val_dataloader.dataset.bbox_file={tmp_path}/dets.yaml: refused, not a .json '
            f'file') in err and 'convert it to COCO-format JSON' in err
