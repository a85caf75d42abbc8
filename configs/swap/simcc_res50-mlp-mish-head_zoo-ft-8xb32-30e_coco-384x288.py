# Fine-tune MMPose's trained SimCC-ResNet-50 (COCO 384x288, AP 73.5 in the MMPose zoo) with the
# MLP-Mish SimCC head swapped in. The zoo checkpoint initialises the backbone (prefix
# 'backbone.') and the head's deconvolutions, BNs and 1x1 final conv (prefix 'head.'); the
# per-axis MLPs are new (SimCCHead's single Linear per axis has another shape) and start from
# the head's default init. MLPSimCCHead logs one line: what loaded, what is new, what was ignored.
# The schedule below is a plain short fine-tune (not tuned: we have not trained on COCO).
# Offline: download the checkpoint and set `zoo_checkpoint` to the local file.
_base_ = ['./simcc_res50-mlp-mish-head_8xb32-140e_coco-384x288.py']

zoo_checkpoint = ('https://download.openmmlab.com/mmpose/v1/body_2d_keypoint/simcc/coco/'
                  'simcc_res50_8xb32-140e_coco-384x288-45c3ba34_20220913.pth')

model = dict(
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint=zoo_checkpoint, prefix='backbone.')),
    head=dict(
        init_cfg=dict(type='Pretrained', checkpoint=zoo_checkpoint, prefix='head.')))

max_epochs = 30
train_cfg = dict(max_epochs=max_epochs, val_interval=5)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),  # warm-up
    dict(type='MultiStepLR', begin=0, end=max_epochs, milestones=[20, 26], gamma=0.1,
         by_epoch=True)
]
