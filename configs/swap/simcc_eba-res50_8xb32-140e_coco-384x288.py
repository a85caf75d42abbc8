# Swap the plugin's backbone into a stock pipeline: MMPose's SimCC-ResNet-50 (COCO 384x288) with
# EBA-ResNet-50 (bridge attention in every Bottleneck) in place of ResNet-50. The torchvision
# ImageNet weights load into the trunk; attention starts from its default initialisation.
_base_ = ['mmpose::body_2d_keypoint/simcc/coco/simcc_res50_8xb32-140e_coco-384x288.py']

custom_imports = dict(imports=['eba_prnetcc_mmpose'], allow_failed_imports=False)

# ReLU trunk (the ImageNet weights were trained with it); Mish in the attention as in EBA.
model = dict(
    backbone=dict(
        type='EBAResNet',
        act_cfg=dict(type='ReLU', inplace=True),
        attention_act_cfg=dict(type='Mish')))
