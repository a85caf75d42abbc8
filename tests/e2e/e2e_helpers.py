"""Helpers of the end-to-end tests (imported by them): a tiny synthetic set with a 1-epoch demo config pointing at
it, and running a command as a user would (one torch thread, the output on failure)."""
import json
import os
import subprocess

from mmengine.config import Config

from eba_tools import DEMO_CONFIG as DEMO
from eba_tools import REPO as ROOT
from eba_tools.demo_job import set_data_root
from eba_tools.synthetic_coco import generate_synthetic_coco

BATCH = 8


def tiny_setup(tmp, num_train: int, seed: int, **default_hooks) -> dict:
    """Generate ``num_train`` + 4 images under ``tmp/data`` and dump a 1-epoch demo config."""
    data = tmp / 'data'
    generate_synthetic_coco(str(data), num_train=num_train, num_val=4, image_size=(128, 128),
                            seed=seed, progress=False)
    cfg = Config.fromfile(DEMO)
    set_data_root(cfg, str(data))
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.update(batch_size=BATCH, num_workers=0, persistent_workers=False)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.update(max_epochs=1, val_interval=100)
    for hook, settings in default_hooks.items():
        cfg.default_hooks[hook].update(settings)
    path = tmp / 'tiny_cfg.py'
    cfg.dump(str(path))
    n_train = len(json.loads(
        (data / 'annotations' / 'person_keypoints_train.json').read_text())['annotations'])
    return dict(cfg=str(path), data=data, tmp=tmp, n_train=n_train,
                iters_per_epoch=-(-n_train // BATCH))


def run_command(cmd, env=None) -> str:
    """Run ``cmd`` from the repository root; its output, asserting it succeeded."""
    env = dict(env or os.environ, PYTHONWARNINGS='ignore', OMP_NUM_THREADS='1')
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, cwd=ROOT)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    return out
