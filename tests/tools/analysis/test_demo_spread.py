"""tools/analysis/demo_spread.py: one short run per seed, a recipe variant through
``--cfg-options`` that reaches the trained config, and keypoint-score percentiles per run."""
import json
import subprocess
import sys

import pytest
from mmengine.config import Config

from eba_tools import REPO

STOCK_PAIRING = ['model.head.loss.label_softmax=False', 'model.head.loss.beta=1.0',
                 'model.head.decoder.normalize=True',
                 'train_dataloader.dataset.pipeline.5.encoder.normalize=True']


@pytest.mark.slow
def test_one_epoch_of_a_recipe_variant_is_recorded_with_its_scores(tmp_path):
    out = tmp_path / 'spread.json'
    res = subprocess.run(
        [sys.executable, 'tools/analysis/demo_spread.py', '--seeds', '0', '--epochs', '1',
         '--data-root', str(tmp_path / 'data'), '--work-dir', str(tmp_path / 'work'),
         '--out', str(out), '--cfg-options', *STOCK_PAIRING],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    summary = json.loads(out.read_text())
    assert summary['cfg_options']['model.head.loss.label_softmax'] is False
    assert summary['machine']['cpu'] and len(summary['runs']) == 1
    run = summary['runs'][0]
    assert run['epochs'] == 1 and 0 <= run['coco/AP'] <= 1
    ks = run['keypoint_scores']
    assert ks['n'] > 0 and ks['n'] % 17 == 0  # every keypoint of every test box
    assert ks['p5'] <= ks['median'] <= ks['p95'] <= ks['max'] and 0 <= ks['above_1'] <= 1
    # the variant is what trained: the config MMEngine dumped into the run's folder
    dumped = Config.fromfile(next((tmp_path / 'work' / 'seed0').glob('*.py')))
    assert dumped.model.head.loss.label_softmax is False and dumped.model.head.loss.beta == 1.0
    assert dumped.train_dataloader.dataset.pipeline[5].encoder.normalize is True
    assert 'keypoint scores' in res.stdout
