# MMPose's SimCC-ResNet-50 (COCO 384x288) with both plugin components swapped in: EBA-ResNet-50
# (bridge attention in every Bottleneck; ReLU trunk so the inherited torchvision ImageNet weights
# load and keep their meaning; Mish in the attention) and the MLP-Mish SimCC head. Codec, loss,
# data and schedule are the stock recipe. Same as eba_prnetcc_mmpose.apis.swap_config(stock).
_base_ = ['mmpose::body_2d_keypoint/simcc/coco/simcc_res50_8xb32-140e_coco-384x288.py']

custom_imports = dict(imports=['eba_prnetcc_mmpose'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        type='EBAResNet',
        act_cfg=dict(type='ReLU', inplace=True),
        attention_act_cfg=dict(type='Mish')),
    head=dict(type='MLPSimCCHead'))
