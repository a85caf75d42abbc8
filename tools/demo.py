"""Pose estimation demo on images, folders and videos with an EBA-PRNetCC (or any top-down) config.

    python tools/demo.py CONFIG [CHECKPOINT] --inputs img.jpg folder/ clip.mp4 --out-dir out/
        [--det-config DET_CFG --det-checkpoint DET_CKPT | --box-file coco_boxes.json]

Person boxes come from an MMDetection detector when given, else from a COCO-style box file, else
the whole image is one person box. Writes OUT_DIR/keypoints.json and the inputs with skeletons
drawn by MMPose's visualizer (videos as .mp4). Without CHECKPOINT the model has random weights
(a warning says so). An input that cannot be read is reported and skipped; the others go on.
"""
import argparse
import os.path as osp
import sys

import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin)
from eba_prnetcc_mmpose.apis.inference import BoxSource, PoseDemo, load_pose_model


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config')
    p.add_argument('checkpoint', nargs='?')
    p.add_argument('--inputs', nargs='+', required=True, help='images, folders, videos')
    p.add_argument('--out-dir', default='work_dirs/pose_demo')
    p.add_argument('--det-config')
    p.add_argument('--det-checkpoint')
    p.add_argument('--det-score-thr', type=float, default=0.3)
    p.add_argument('--box-file', help='COCO-style json with images and annotations (xywh)')
    p.add_argument('--kpt-thr', type=float, default=0.3)
    p.add_argument('--device', default='cpu')
    args = p.parse_args()
    if not osp.isfile(args.config):
        p.error(f'config file not found: {args.config}')
    try:
        model = load_pose_model(args.config, args.checkpoint, args.device)
        boxes = BoxSource(args.det_config, args.det_checkpoint, args.box_file,
                          args.det_score_thr, args.device)
    except (OSError, ValueError) as e:
        p.error(str(e))
    summary = PoseDemo(model, boxes, args.out_dir, args.kpt_thr).run(args.inputs)
    print(f"boxes from: {summary['boxes']}; processed {len(summary['results'])} input(s), "
          f"skipped {len(summary['failed'])}; results in {args.out_dir}/keypoints.json")
    for fail in summary['failed']:
        print(f"  skipped {fail['input']}: {fail['error']}")
    sys.exit(1 if summary['failed'] and not summary['results'] else 0)


if __name__ == '__main__':
    main()
