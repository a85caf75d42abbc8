# Your own keypoints, starting from a stock MMPose SimCC config (docs/custom_dataset.md, "Start
# from a stock MMPose config"). The stock recipe is kept (Adam, flip test, hooks, CocoMetric);
# every setting it states for COCO persons on 8 GPUs is replaced below, each with its reason.
# tools/check_dataset.py (and tools/train.py before it starts) names any that is left.
_base_ = ['mmpose::body_2d_keypoint/simcc/coco/simcc_res50_8xb64-210e_coco-256x192.py']

custom_imports = dict(imports=['eba_prnetcc_mmpose'], allow_failed_imports=False)

from eba_prnetcc_mmpose.datasets.config_helpers import (  # noqa: E402
    keypoint_metainfo, simcc_codec, simcc_head_sizes, topdown_pipelines)

# ---- what you choose ----------------------------------------------------------------------
data_root = 'data/synthetic_squares/'
input_size = (96, 96)  # (W, H)
metainfo = keypoint_metainfo(
    dataset_name='synthetic_squares',
    keypoints=['top_left', 'top_right', 'bottom_right', 'bottom_left', 'centre'],
    flip_pairs=[('top_left', 'top_right'), ('bottom_left', 'bottom_right')],
    skeleton=[('top_left', 'top_right'), ('top_right', 'bottom_right'),
              ('bottom_right', 'bottom_left'), ('bottom_left', 'top_left')],
    sigmas=[0.04, 0.04, 0.04, 0.04, 0.06])
backbone = dict(type='EBAResNet', depth=18,
                init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18'))
max_epochs = 30
batch_size = 16

# ---- model: replaced, not merged ----------------------------------------------------------
# _delete_: a merged backbone would keep the stock init_cfg (ResNet-50 weights, which cannot
# fit a ResNet-18). The head's sizes, keypoint count and decoder follow the codec: a child that
# sets only `codec` changes nothing, because the stock head and pipelines copied the stock
# codec's values when the base file was read.
codec = simcc_codec(input_size)
train_pipeline, test_pipeline = topdown_pipelines(codec)  # no RandomHalfBody: COCO body halves
model = dict(
    backbone=dict(_delete_=True, **backbone),
    head=dict(
        type='MLPSimCCHead',
        **simcc_head_sizes(codec, num_keypoints=len(metainfo['keypoint_info']),
                           backbone=backbone),
        # stock SimCC's pairing: normalised targets (the codec's default), no label_softmax,
        # beta=1 (the loss's defaults); see "Targets and loss" in docs/custom_dataset.md
        loss=dict(type='EBAKLDiscretLoss', use_target_weight=True)))

# ---- schedule: the stock one is sized for 210 epochs of COCO at batch 512 -----------------
# (500 warm-up iterations are 1.7 COCO epochs there, but tens of epochs of a small set):
# warm up for 2 epochs whatever the dataset size, and drop the LR inside max_epochs.
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=2, start_factor=0.001, by_epoch=True,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', begin=0, end=max_epochs, milestones=[20, 26], gamma=0.1,
         by_epoch=True),
]

# ---- data: your files and metainfo; no COCO person detections for validation --------------
train_dataloader = dict(
    batch_size=batch_size,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 ann_file='annotations/squares_train.json',
                 data_prefix=dict(img='images/train/'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=batch_size,
    dataset=dict(data_root=data_root, metainfo=metainfo,
                 ann_file='annotations/squares_val.json', bbox_file=None,
                 data_prefix=dict(img='images/val/'), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/squares_val.json')
test_evaluator = val_evaluator
