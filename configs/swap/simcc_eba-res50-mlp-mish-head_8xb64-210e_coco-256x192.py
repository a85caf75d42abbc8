# MMPose's SimCC-ResNet-50 (COCO 256x192) with EBA-ResNet-50 (ReLU trunk for the inherited
# torchvision weights, Mish attention) and the MLP-Mish SimCC head swapped in; everything else is
# the stock recipe. Same as eba_prnetcc_mmpose.apis.swap_config(stock).
_base_ = ['mmpose::body_2d_keypoint/simcc/coco/simcc_res50_8xb64-210e_coco-256x192.py']

custom_imports = dict(imports=['eba_prnetcc_mmpose'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        type='EBAResNet',
        act_cfg=dict(type='ReLU', inplace=True),
        attention_act_cfg=dict(type='Mish')),
    head=dict(type='MLPSimCCHead'))
