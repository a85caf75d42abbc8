"""What MMEngine / MMPose do with a loaded checkpoint never runs the file's config texts.

A real training checkpoint of the demo model (1 epoch on a tiny synthetic set) is copied with its
``meta.cfg`` / ``meta.config`` / ``message_hub.runtime_info.cfg`` replaced by Python that would
write a marker file. MMPose's stock ``tools/test.py`` and its ``Pose2DInferencer(model=None,
weights=...)`` (MMEngine's ``BaseInferencer`` reads the config from the checkpoint) must not run
it, and no checkpoint's config builds a model: the config is passed explicitly.
"""
import os
import re
import sys

import pytest
import torch

from eba_tools import REPO as ROOT
from eba_tools.launch import mmpose_tool

from e2e_helpers import run_command, tiny_setup

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('entry')
    cfg_path = tiny_setup(tmp, 8, seed=2)['cfg']
    work = tmp / 'work'
    run([sys.executable, os.path.join(ROOT, 'tools', 'train.py'), cfg_path, '--work-dir',
         str(work)])
    good = work / 'epoch_1.pth'
    marker = tmp / 'pwned'
    text = f"import os\nopen({str(marker)!r}, 'w').write('pwned')\n"
    ckpt = torch.load(good, weights_only=False)  # our own file: trusted
    ckpt['meta']['cfg'] = ckpt['meta']['config'] = text
    ckpt['message_hub']['runtime_info']['cfg'] = text
    evil = tmp / 'evil.pth'
    torch.save(ckpt, evil)
    return dict(cfg=cfg_path, good=str(good), evil=str(evil), marker=marker, tmp=tmp)


def run(cmd):
    return run_command(cmd)


def test_stock_test_tool_never_runs_the_checkpoint_config(trained):
    out = run([sys.executable, mmpose_tool('test.py'), trained['cfg'], trained['evil'],
               '--work-dir', str(trained['tmp'] / 'test')])
    assert re.search(r'coco/AP: [0-9.]+', out)
    assert not trained['marker'].exists()


def test_inferencer_never_builds_from_a_checkpoint_config(trained):
    """Even the checkpoint MMEngine wrote has its config dropped (a dotted ``type`` in a text of
    literals imports and calls anything); the inferencer then says so and takes the config."""
    import eba_prnetcc_mmpose  # noqa: F401
    from mmpose.apis.inferencers import Pose2DInferencer
    for weights in (trained['good'], trained['evil']):
        with pytest.raises(ValueError, match='Cannot find the config in the checkpoint'):
            Pose2DInferencer(model=None, weights=weights, device='cpu', det_model='whole_image')
    assert not trained['marker'].exists()
    model = Pose2DInferencer(model=trained['cfg'], weights=trained['good'], device='cpu',
                             det_model='whole_image').model
    assert type(model.backbone).__name__ == 'EBAResNet'
