"""The main job (`make demo`): train a slim EBA-PRNetCC on synthetic COCO data and evaluate it.

Generates the synthetic COCO-format person-keypoint set if absent (data/synthetic_coco), trains
configs/demo/... with MMPose's Runner on the CPU, evaluates with MMPose's CocoMetric (xtcocotools
COCO eval on detected boxes), prints AP/AR beside a mean-pose baseline, and draws predictions
with MMPose's visualizer into WORK_DIR/vis/.
"""
import argparse
import os.path as osp
import sys

sys.path.append(osp.dirname(osp.abspath(__file__)))  # tools/, for eba_tools
from eba_tools import DEMO_CONFIG, REPO  # noqa: E402
from eba_tools.demo_job import run_demo  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--config', default=DEMO_CONFIG, help='training config')
    parser.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'demo'),
                        help='checkpoints, logs, metrics and drawings')
    parser.add_argument('--data-root', default=osp.join(REPO, 'data', 'synthetic_coco'),
                        help='synthetic COCO-format data (generated there if absent)')
    parser.add_argument('--epochs', type=int, help="override the config's epochs")
    parser.add_argument('--seed', type=int, default=0, help='training seed')
    parser.add_argument('--num-vis', type=int, default=4, help='images to draw predictions on')
    args = parser.parse_args(argv)
    if not osp.isfile(args.config):
        parser.error(f'config file not found: {args.config}')
    s = run_demo(args.config, args.work_dir, args.data_root, args.epochs, args.num_vis, args.seed)
    m, b = s['metrics'], s['baseline']
    print('\n' + '=' * 72)
    print(f"EBA-PRNetCC demo ({s['epochs']} epochs, seed {s['seed']}, "
          f"{s['train_time_s']:.0f} s of training)  measured on the synthetic val set:")
    print(f"  model      AP {m['coco/AP']:.3f}  AP50 {m['coco/AP .5']:.3f}  "
          f"AP75 {m['coco/AP .75']:.3f}  AR {m['coco/AR']:.3f}")
    print(f"  mean pose  AP {b['coco/AP']:.3f}  AP50 {b['coco/AP .5']:.3f}  "
          f"AP75 {b['coco/AP .75']:.3f}  AR {b['coco/AR']:.3f}   (trivial baseline)")
    print(f"  checkpoint {s['checkpoint']}")
    print(f"  predictions drawn: {', '.join(s['vis'])}")
    print(f"  summary    {osp.join(args.work_dir, 'summary.json')}")
    print('=' * 72)


if __name__ == '__main__':
    main()
