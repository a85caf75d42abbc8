"""tools/train.py: the pre-flight stops a stock child whose inherited settings cannot fit before
anything is built (exit 1, one line each, no work dir), and --no-preflight skips it."""
import os.path as osp
import runpy
import sys

import pytest

from eba_tools import REPO, checked_tools

STOCK = 'mmpose::body_2d_keypoint/simcc/coco/simcc_res50_8xb64-210e_coco-256x192.py'


def run_train(argv, monkeypatch):
    monkeypatch.setattr(sys, 'argv', ['tools/train.py'] + argv)
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(osp.join(REPO, 'tools', 'train.py'), run_name='__main__')
    return exit_.value.code


@pytest.fixture
def child(tmp_path):
    path = tmp_path / 'child.py'
    path.write_text(f'''_base_ = ['{STOCK}']
custom_imports = dict(imports=['eba_prnetcc_mmpose'], allow_failed_imports=False)
model = dict(backbone=dict(type='EBAResNet', depth=34),
             head=dict(type='MLPSimCCHead', in_channels=512))
''')
    return str(path)


def test_inherited_weights_that_cannot_fit_stop_training(child, tmp_path, monkeypatch, capsys):
    work = tmp_path / 'work'
    assert run_train([child, '--work-dir', str(work)], monkeypatch) == 1
    err = capsys.readouterr().err
    assert 'Traceback' not in err and not work.exists()
    assert "tools/train.py: error: model.backbone.init_cfg checkpoint 'torchvision://resnet50'" \
        in err and "checkpoint='torchvision://resnet34'" in err


def test_no_preflight_hands_over_without_it(child, monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(checked_tools, 'run_mmpose_tool', lambda name, argv: seen.append(argv))
    monkeypatch.setattr(sys, 'argv', ['tools/train.py', child, '--no-preflight'])
    runpy.run_path(osp.join(REPO, 'tools', 'train.py'), run_name='__main__')
    assert seen == [[child]] and 'error' not in capsys.readouterr().err


@pytest.mark.parametrize('resume', [True, False])
def test_a_refused_or_damaged_checkpoint_is_one_line_with_the_way_on(monkeypatch, capsys,
                                                                     resume):
    from eba_prnetcc_mmpose.utils import CorruptCheckpointError

    def damaged(name, argv):  # what MMEngine's resume / load_from raises from our loader
        raise CorruptCheckpointError("Could not read checkpoint 'w/epoch_3.pth' (truncated)")
    monkeypatch.setattr(checked_tools, 'run_mmpose_tool', damaged)
    cfg = osp.join(REPO, 'configs', 'demo', 'simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py')
    argv = [cfg, '--no-preflight'] + (['--resume', 'w/epoch_3.pth'] if resume else [])
    assert run_train(argv, monkeypatch) == 1
    err = capsys.readouterr().err
    assert 'Traceback' not in err and err.count('\n') == 1
    assert "tools/train.py: error: Could not read checkpoint 'w/epoch_3.pth'" in err
    assert ('--resume WORK_DIR/epoch_N.pth' in err) is resume
