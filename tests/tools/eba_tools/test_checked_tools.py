"""Running MMPose's train.py / test.py checked (what tools/train.py and tools/test.py are):
MMPose's help, one-line errors naming the file or the type, the custom_imports warning."""
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from eba_tools import REPO, checked_tools
from eba_tools.registry_hints import CUSTOM_IMPORTS_LINE

CUSTOM = osp.join(REPO, 'configs', 'custom', 'simcc_eba-res18-mlp_1xb16-30e_squares5-96x96.py')


def tool(name, *args, cwd=None):
    return subprocess.run([sys.executable, osp.join(REPO, 'tools', name), *args],
                          capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize('name,mmpose_options', [
    ('train.py', ['--work-dir', '--resume', '--amp', '--cfg-options', '--launcher']),
    ('test.py', ['--work-dir', '--dump', '--cfg-options', '--launcher']),
])
def test_help_is_mmposes(name, mmpose_options):
    res = tool(name, '--help')
    assert res.returncode == 0, res.stderr
    assert f"tools/{name}: MMPose's {name} with eba_prnetcc_mmpose loaded" in res.stdout
    for option in mmpose_options:
        assert option in res.stdout


def run_checked(name, argv, capsys):
    """``run_checked_mmpose_tool`` in-process: (exit status, stderr)."""
    with pytest.raises(SystemExit) as exit_:
        checked_tools.run_checked_mmpose_tool(
            name, ['config'] if name == 'train.py' else ['config', 'checkpoint'], argv)
    return exit_.value.code, capsys.readouterr().err


@pytest.mark.parametrize('name,args,key_facts', [  # the argument and the path
    ('train.py', ['nowhere.py'], ('config', 'nowhere.py')),
    ('train.py', ['.'], ('config', 'folder')),
    ('test.py', ['nowhere.py', 'x.pth'], ('config', 'nowhere.py')),
    ('test.py', [CUSTOM, 'nowhere.pth'], ('checkpoint', 'nowhere.pth')),
])
def test_missing_files_are_one_line(tmp_path, monkeypatch, capsys, name, args, key_facts):
    monkeypatch.chdir(tmp_path)
    code, err = run_checked(name, args, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f'tools/{name}: error: ') and all(f in err for f in key_facts)


def test_missing_positional_is_argparse_usage(capsys):
    code, err = run_checked('test.py', [CUSTOM], capsys)
    assert code == 2 and 'checkpoint' in err.strip().splitlines()[-1]
    assert 'Traceback' not in err


def test_unparsable_config_is_one_line(tmp_path, capsys):
    (tmp_path / 'bad.py').write_text('model = dict(\n')
    code, err = run_checked('train.py', [str(tmp_path / 'bad.py')], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith('tools/train.py: error: ') and f'{tmp_path}/bad.py' in err


def test_url_checkpoints_are_left_to_mmengine():
    class Args:
        config, checkpoint = CUSTOM, 'https://example.org/model.pth'
    checked_tools.check_file_arguments(Args, ['config', 'checkpoint'])  # the URL passes
    Args.checkpoint = 'model.pth'  # the same name as a local path is checked
    with pytest.raises(checked_tools.ToolError, match='model.pth'):
        checked_tools.check_file_arguments(Args, ['config', 'checkpoint'])


@pytest.fixture
def ran(monkeypatch):
    """Run :func:`run_checked_mmpose_tool` with MMPose's tool replaced by ``fake``."""
    calls = []

    def run(argv, fake=None):
        def fake_run_mmpose_tool(name, tool_argv):
            calls.append((name, tool_argv))
            if fake is not None:
                fake()
        monkeypatch.setattr(checked_tools, 'run_mmpose_tool', fake_run_mmpose_tool)
        checked_tools.run_checked_mmpose_tool('train.py', ['config'], argv)
        return calls
    return run


def write_cfg(tmp_path, **changes) -> str:
    cfg = Config.fromfile(CUSTOM)
    for key, value in changes.items():
        if value is None:
            cfg.pop(key)
        else:
            cfg.merge_from_dict({key: value})
    path = str(tmp_path / 'cfg.py')
    cfg.dump(path)
    return path


def test_missing_custom_imports_warns_and_still_runs(ran, tmp_path, capsys):
    path = write_cfg(tmp_path, custom_imports=None)
    calls = ran([path, '--work-dir', str(tmp_path)])
    assert calls == [('train.py', [path, '--work-dir', str(tmp_path)])]
    err = capsys.readouterr().err
    assert err.startswith('tools/train.py: warning: ') and len(err.strip().splitlines()) == 1
    assert 'EBAResNet (model.backbone)' in err and CUSTOM_IMPORTS_LINE in err


def test_custom_imports_via_cfg_options_is_enough(ran, tmp_path, capsys):
    path = write_cfg(tmp_path, custom_imports=None)
    ran([path, '--cfg-options', 'custom_imports.imports=[eba_prnetcc_mmpose]'])
    assert capsys.readouterr().err == ''


def test_registry_typo_is_one_line_with_suggestion(ran, tmp_path, capsys):
    path = write_cfg(tmp_path, **{'model.head.type': 'MLPSimCCHaed'})

    def build():
        from mmpose.registry import MODELS
        MODELS.build(dict(type='MLPSimCCHaed'))
    with pytest.raises(SystemExit) as exit_:
        ran([path], fake=build)
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('tools/train.py: error: ') and len(err.splitlines()) == 1
    assert 'model.head.type' in err and err.endswith("did you mean 'MLPSimCCHead'?")


def test_other_key_errors_propagate(ran, tmp_path):
    def fail():
        raise KeyError('unrelated')
    with pytest.raises(KeyError, match='unrelated'):
        ran([CUSTOM], fake=fail)
