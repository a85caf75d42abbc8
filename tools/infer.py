"""Pose estimation on images, folders and videos with MMPose's MMPoseInferencer, for any top-down
config (EBA-PRNetCC's or stock MMPose's).

    python tools/infer.py CONFIG [CHECKPOINT] --inputs img.jpg folder/ clip.mp4 --out-dir out/
        [--det-config DET_CFG --det-checkpoint DET_CKPT | --box-file boxes.json]

MMPoseInferencer detects people (an MMDetection config + weights), runs the model, draws the
skeletons with MMPose's visualizer and writes OUT_DIR/<input name> (images, videos) and
OUT_DIR/predictions/<input>.json. This tool adds person boxes from a box file (the same
layouts and order as tools/deployment/predict.py: per-file corners, COCO detection results or a
COCO file; highest score first), the whole image as the box when neither is given, several
inputs in one run (an unreadable input is reported and skipped), a summary
OUT_DIR/keypoints.json, a default --kpt-thr from the model's score scale, and a line saying
what the scores are when every keypoint of an input is below it (nothing would be drawn).
Without CHECKPOINT the model has random weights (a warning says so). See docs/mmpose_tools.md.
"""
import argparse
import os.path as osp
import sys

import eba_prnetcc_mmpose  # noqa: F401  (registers the plugin)

sys.path.append(osp.dirname(osp.abspath(__file__)))  # tools/, for eba_tools
from eba_tools.inference import PoseInference  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument('config', help='pose model config (MMPose top-down)')
    p.add_argument('checkpoint', nargs='?', default=None,
                   help='pose model weights; none: random weights, with a warning')
    p.add_argument('--inputs', nargs='+', required=True,
                   help='images, videos and folders of them')
    p.add_argument('--out-dir', default='work_dirs/infer',
                   help='drawn inputs, predictions/*.json and keypoints.json go here')
    boxes = p.add_argument_group('person boxes (default: the whole image is one person box)')
    boxes.add_argument('--det-config', default=None,
                       help='MMDetection config of a person detector')
    boxes.add_argument('--det-checkpoint', default=None,
                       help='weights of the detector (required with --det-config)')
    boxes.add_argument('--det-cat-ids', type=int, nargs='+', default=[0],
                       help='detector categories that are persons (0 = COCO person)')
    boxes.add_argument('--box-file', default=None,
                       help='JSON of person boxes, as tools/deployment/predict.py --bboxes: '
                       '{"img.jpg": [[x1, y1, x2, y2(, score)], ...], "clip.mp4:FRAME": ...}, '
                       'COCO detection results [{"image_id", "bbox": [x, y, w, h], "score"}] '
                       '(matched by COCO id) or a COCO file ("images" + "annotations"); '
                       'inputs and frames it gives no box for have no people')
    boxes.add_argument('--bbox-thr', type=float, default=0.3,
                       help='detector / box-file boxes must score above it')
    boxes.add_argument('--nms-thr', type=float, default=0.3,
                       help='IoU threshold of the NMS over detector boxes')
    p.add_argument('--kpt-thr', type=float, default=None,
                   help='keypoints scoring below it are not drawn; default: 0.3 x the '
                   "model's score scale, at most 0.3 (SimCC scores are logit peaks; see "
                   'docs/mmpose_tools.md, "Keypoint scores")')
    p.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    args = p.parse_args(argv)
    if not osp.isfile(args.config):
        p.error(f'config file not found: {args.config}')
    if args.det_config and args.box_file:
        p.error('give either --det-config or --box-file, not both')
    return p, args


def main(argv=None):
    p, args = parse_args(argv)
    try:
        inference = PoseInference(args.config, args.checkpoint, args.out_dir,
                                  det_config=args.det_config, det_checkpoint=args.det_checkpoint,
                                  det_cat_ids=args.det_cat_ids, box_file=args.box_file,
                                  bbox_thr=args.bbox_thr, nms_thr=args.nms_thr,
                                  kpt_thr=args.kpt_thr, device=args.device)
    except (OSError, ValueError) as e:
        p.error(str(e))
    if args.kpt_thr is None:
        print(f'--kpt-thr {inference.kpt_thr:g} (from the score scale: '
              f'{inference.score_how})')
    summary = inference.run(args.inputs)
    print(f"boxes from: {summary['boxes']}; processed {len(summary['results'])} input(s), "
          f"skipped {len(summary['failed'])}; results in {args.out_dir}/keypoints.json")
    for fail in summary['failed']:
        print(f"  skipped {fail['input']}: {fail['error']}")
    for result in summary['results']:
        if result.get('note'):
            print(f"  {result['note']}")
    if summary['below_kpt_thr']:
        print(f"  every keypoint scored below --kpt-thr {inference.kpt_thr:g} (nothing drawn) "
              f"in {len(summary['below_kpt_thr'])} input(s): "
              f"{', '.join(osp.basename(i) for i in summary['below_kpt_thr'])} (the lines "
              f'above give their scores)')
    sys.exit(1 if summary['failed'] and not summary['results'] else 0)


if __name__ == '__main__':
    main()
