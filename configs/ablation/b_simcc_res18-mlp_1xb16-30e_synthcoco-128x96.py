# Ablation (b) = (a) + the MLP-Mish head: MMPose's ResNet-18 (ReLU, no attention) at the demo's
# widths, the plugin's MLPSimCCHead (deconvolutions with BN + Mish, Linear-Mish-Linear per axis,
# as in the demo), MMPose's KLDiscretLoss with the demo's targets and loss settings
# (normalize=False, beta=10, label_softmax; see (a)).
# The earlier study (benchmarks/ablation.json), superseded by configs/ablation/synthhard/ and
# docs/ablation.md; kept as its record. Trains on its own with tools/train.py.
_base_ = ['../demo/simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        **{k: _base_.model.backbone[k] for k in ('depth', 'base_channels', 'stem_channels')}),
    head=dict(loss=dict(type='KLDiscretLoss')))
