# Ablation (e) = (d) with squeeze-and-excitation in place of the bridge: each block's attention is
# fed by its last conv output only (num_bridged=1), everything else as EBA-PRNetCC (d).
# The earlier study (benchmarks/ablation.json), superseded by configs/ablation/synthhard/ and
# docs/ablation.md; kept as its record. Trains on its own with tools/train.py.
_base_ = ['../demo/simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py']

model = dict(backbone=dict(num_bridged=1))
