# Embedded default: a slim EBA-PRNetCC trained on the project's synthetic COCO-format person
# keypoints (tools/generate_synthetic_coco.py) on CPU in a few minutes. `make demo` runs it.
# Same components as the paper's model (EBA-ResNet-18 with Mish and bridge attention, MLP-Mish
# SimCC head, the paper's KL loss), narrower (base 32 channels, 2 deconvolutions) and at 128x96 so
# two CPU cores train it quickly. To learn from scratch in ~30 epochs it departs from the paper's
# recipe: Adam at 2e-3 (paper: AdamW 1e-5), and RTMPose's pairing of targets and loss (below).
# Measured: see README.
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['eba_prnetcc_mmpose'], allow_failed_imports=False)

data_root = 'data/synthetic_coco/'
max_epochs = 30
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
randomness = dict(seed=0)

optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', begin=0, end=max_epochs, T_max=max_epochs, eta_min=1e-5,
         by_epoch=True, convert_to_iter_based=True),
]

# Targets and loss, paired as RTMPose pairs them: Gaussians of peak 1 (normalize=False) and a loss
# that compares softmax(10 x logits) with softmax(10 x target) (label_softmax, label_beta 10,
# beta=10). Chosen by measurement on this demo (seeds 0 / 1, 30 epochs, one torch thread on the
# 2-core AMD EPYC; median [5th-95th percentile] of the val keypoint scores on detected boxes;
# tools/analysis/demo_spread.py, benchmarks/demo_spread.json and demo_pairing_stock.json):
#   normalize=False + label_softmax, beta 10 (this): AP 0.434 / 0.422, AP50 0.86 / 0.80,
#     scores 0.34 [0.12-0.88] / 0.34 [0.11-0.95], max 1.2 / 1.3;
#   normalize=True, no label_softmax, beta 1 (stock SimCC): AP 0.389 / 0.365, AP50 0.81 / 0.81,
#     scores 2.8 [0.8-8.7] / 2.9 [0.8-7.6], max 12 / 10 (raw logits with no fixed scale).
# On the demo data generated before 2026-12-02 (half the figures seen from the back) the order
# was the same (0.108 / 0.129 against 0.099 / 0.076), and normalize=True + label_softmax (the old
# demo) reached AP 0.093 with scores 0.016 [0.008-0.051]: no keypoint reaches CocoMetric's 0.2.
# That target is nearly flat (peak/floor 3.8, entropy 0.99 of uniform), which
# tools/check_dataset.py flags; this one has peak/floor e^10 and 0.27 of uniform entropy.
codec = dict(type='SimCCLabel', input_size=(96, 128), sigma=(3.0, 3.0), simcc_split_ratio=2.0,
             normalize=False)

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='EBAResNet', depth=18, base_channels=32, stem_channels=32,
                  reduction=8),
    head=dict(
        type='MLPSimCCHead',
        in_channels=256,
        out_channels=17,
        input_size=codec['input_size'],
        in_featuremap_size=tuple([s // 32 for s in codec['input_size']]),
        simcc_split_ratio=codec['simcc_split_ratio'],
        deconv_out_channels=(128, 128),
        deconv_kernel_sizes=(4, 4),
        num_mlp_layers=2,
        mlp_hidden_channels=128,
        loss=dict(type='EBAKLDiscretLoss', use_target_weight=True, beta=10.0,
                  label_softmax=True),
        decoder=codec),
    test_cfg=dict(flip_test=True))

dataset_type = 'CocoDataset'
data_mode = 'topdown'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', scale_factor=(0.7, 1.3), rotate_factor=30.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_train.json',
        data_prefix=dict(img='images/train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_mode=data_mode,
        ann_file='annotations/person_keypoints_val.json',
        bbox_file=data_root + 'person_detection_results/val_detections.json',
        data_prefix=dict(img='images/val/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='CocoMetric', ann_file=data_root + 'annotations/person_keypoints_val.json')
test_evaluator = val_evaluator

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2))
log_processor = dict(window_size=10)

# CPU threads on a shared machine and exact resume (docs/train_test.md): one torch thread in the
# main process (CPUThreadsHook; OMP_NUM_THREADS in the environment wins), data workers on one torch
# thread each and single-threaded OpenCV (MMEngine's env_cfg); a warning line when the cores are
# oversubscribed. ExactResumeHook: augmentation seeded per (seed, epoch, sample), so a run resumed
# from an epoch checkpoint ends with the weights of the uninterrupted run.
env_cfg = dict(mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
custom_hooks = [dict(type='CPUThreadsHook', num_threads=1), dict(type='ExactResumeHook')]
