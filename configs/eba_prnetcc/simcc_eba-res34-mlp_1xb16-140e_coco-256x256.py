# EBA-PRNetCC, ResNet-34, MLP-Mish head, COCO 256x256 (paper Tables 2 and 4: reported AP 74.1 in
# Table 2 / 74.3 in Table 4, 28 M params). The 384x288 recipe at a square 256x256 input.
_base_ = ['./simcc_eba-res34-mlp_1xb16-140e_coco-384x288.py']

codec = dict(
    type='SimCCLabel', input_size=(256, 256), sigma=6.0, simcc_split_ratio=2.0)

model = dict(
    head=dict(
        input_size=codec['input_size'],
        in_featuremap_size=tuple([s // 32 for s in codec['input_size']]),
        decoder=codec))

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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
