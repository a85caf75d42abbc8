# Ablation (f) = (d) with MMPose's KLDiscretLoss in place of the paper's EBAKLDiscretLoss, with the
# same targets and loss settings (normalize=False, beta=10, label_softmax, target weights; see
# (a)). Equivalently (c) with a Mish trunk.
# The earlier study (benchmarks/ablation.json), superseded by configs/ablation/synthhard/ and
# docs/ablation.md; kept as its record. Trains on its own with tools/train.py.
_base_ = ['../demo/simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py']

model = dict(head=dict(loss=dict(type='KLDiscretLoss')))
