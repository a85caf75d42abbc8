# EBA-PRNetCC, ResNet-18, MLP-Mish head, COCO 384x288 (paper Tables 1-2: reported AP 74.3,
# 19.0 M params). Same recipe as the ResNet-34 config.
_base_ = ['./simcc_eba-res34-mlp_1xb16-140e_coco-384x288.py']

model = dict(
    backbone=dict(
        depth=18,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')))
