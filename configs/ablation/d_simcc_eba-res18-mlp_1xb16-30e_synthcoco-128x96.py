# Ablation (d) = EBA-PRNetCC = the demo config, unchanged: EBAResNet-18 with Mish trunk and bridge
# attention, the MLP-Mish head and the paper's loss (EBAKLDiscretLoss). It is (c) with a Mish
# trunk and the paper's loss, i.e. (f) with the paper's loss. Targets and loss settings: the
# demo's (normalize=False, beta=10, label_softmax; see (a)).
# The earlier study (benchmarks/ablation.json), superseded by configs/ablation/synthhard/ and
# docs/ablation.md; kept as its record. Trains on its own with tools/train.py.
_base_ = ['../demo/simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py']
