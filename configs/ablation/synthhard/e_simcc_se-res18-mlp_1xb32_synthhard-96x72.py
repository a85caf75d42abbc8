# Study variant (e) = (d) with squeeze-and-excitation in place of the bridge: each block's
# attention is fed by its last conv output only (num_bridged=1).
_base_ = ['./base_simcc_eba-res18-mlp_1xb32_synthhard-96x72.py']

model = dict(backbone=dict(num_bridged=1))
