"""The main job learns: the trained demo model beats a mean-pose baseline on held-out images."""
import os.path as osp

import pytest

from eba_prnetcc_mmpose.apis import run_demo

pytestmark = pytest.mark.slow
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'configs', 'demo', 'simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py')
EPOCHS = 12


def test_demo_model_beats_mean_pose_baseline(tmp_path):
    summary = run_demo(DEMO, work_dir=str(tmp_path / 'work'), data_root=str(tmp_path / 'data'),
                       max_epochs=EPOCHS, num_vis=2,
                       cfg_options={'train_dataloader.num_workers': 1,
                                    'test_dataloader.num_workers': 1})
    model_ap, base_ap = summary['metrics']['coco/AP'], summary['baseline']['coco/AP']
    # measured margin, printed for the log; the assertion leaves room for run-to-run spread
    print(f'demo AP after {EPOCHS} epochs: {model_ap:.3f}; mean-pose baseline: {base_ap:.3f}')
    model_ap50, base_ap50 = summary['metrics']['coco/AP .5'], summary['baseline']['coco/AP .5']
    print(f'AP50: {model_ap50:.3f} vs {base_ap50:.3f}')
    assert model_ap > base_ap and model_ap50 > base_ap50 + 0.05
    assert summary['metrics']['coco/AR'] > summary['baseline']['coco/AR']
    assert len(summary['vis']) == 2 and all(osp.getsize(p) > 1000 for p in summary['vis'])
    assert osp.isfile(summary['checkpoint'])
