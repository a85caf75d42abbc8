"""tools/train.py's pre-flight: errors first (they stop training), warnings after, printed once
(rank 0) with the tool's name; the process count from the launcher's WORLD_SIZE."""
import argparse

from mmengine.config import Config

from eba_tools.preflight import preflight_findings, run_preflight, world_size

STOCK = 'mmpose::body_2d_keypoint/simcc/coco/simcc_res50_8xb64-210e_coco-256x192.py'


def stale_child(tmp_path) -> Config:
    """A stock child with a stale `codec`, the stock ResNet-50 weights on a depth-34 backbone
    and a schedule cut to 8 epochs (no data: the warm-up is not judged)."""
    path = tmp_path / 'child.py'
    path.write_text(f'''_base_ = ['{STOCK}']
model = dict(backbone=dict(type='EBAResNet', depth=34, base_channels=16, stem_channels=16),
             head=dict(type='MLPSimCCHead', in_channels=128, out_channels=5))
codec = dict(type='SimCCLabel', input_size=(96, 128), sigma=4.0, simcc_split_ratio=2.0)
train_cfg = dict(max_epochs=8)
''')
    return Config.fromfile(str(path))


def test_findings_errors_first(tmp_path):
    found = preflight_findings(stale_child(tmp_path))
    levels = [f.level for f in found]
    assert levels == sorted(levels, key=lambda lv: lv != 'error') and 'warning' in levels
    errors = ' '.join(f.text for f in found if f.level == 'error')
    assert 'codec input_size (96, 128)' in errors and 'ResNet-50' in errors


def test_printed_once_with_the_tools_name(tmp_path, capsys, monkeypatch):
    cfg = stale_child(tmp_path)
    args = argparse.Namespace(launcher='none')
    assert run_preflight(cfg, args, 'tools/train.py') == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith('tools/train.py: error: ')
    assert any(line.startswith('tools/train.py: warning: ') for line in err)
    assert '--no-preflight' in err[-1] and 'training not started' in err[-1]
    monkeypatch.setenv('RANK', '1')
    assert run_preflight(cfg, args, 'tools/train.py') == 2
    assert capsys.readouterr().err == ''


def test_world_size(monkeypatch):
    monkeypatch.setenv('WORLD_SIZE', '4')
    assert world_size(argparse.Namespace(launcher='pytorch')) == 4
    assert world_size(argparse.Namespace(launcher='none')) == 1


def test_nearly_flat_targets_are_a_warning(tmp_path):
    """label_softmax on normalised Gaussians: training starts, the line names the fix."""
    cfg = stale_child(tmp_path)
    cfg.model.head.loss = dict(type='KLDiscretLoss', use_target_weight=True, beta=10.,
                               label_softmax=True)
    flat = [f for f in preflight_findings(cfg, count=False) if 'normalize=False' in f.text]
    assert flat and all(f.level == 'warning' for f in flat)
