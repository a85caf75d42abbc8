# Ablation (c) = (b) + bridge attention: EBAResNet-18 with a ReLU trunk (stem and blocks) and the
# paper's attention (Mish in the generation step, r = 8 as in the demo), the MLP-Mish head,
# MMPose's KLDiscretLoss with the demo's targets and loss settings (normalize=False, beta=10,
# label_softmax; see (a)).
# The earlier study (benchmarks/ablation.json), superseded by configs/ablation/synthhard/ and
# docs/ablation.md; kept as its record. Trains on its own with tools/train.py.
_base_ = ['../demo/simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py']

model = dict(
    backbone=dict(act_cfg=dict(type='ReLU', inplace=True)),
    head=dict(loss=dict(type='KLDiscretLoss')))
