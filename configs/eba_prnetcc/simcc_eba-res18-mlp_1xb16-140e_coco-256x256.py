# EBA-PRNetCC, ResNet-18, MLP-Mish head, COCO 256x256 (paper Tables 2 and 4: reported AP 71.3,
# 17 M params).
_base_ = ['./simcc_eba-res34-mlp_1xb16-140e_coco-256x256.py']

model = dict(
    backbone=dict(
        depth=18,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')))
