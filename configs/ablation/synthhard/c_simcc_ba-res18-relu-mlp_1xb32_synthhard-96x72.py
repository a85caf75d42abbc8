# Study variant (c) = (b) + bridge attention: EBAResNet-18 with a ReLU trunk (stem and blocks) and
# the paper's bridge attention (Mish in its generation step, r = 8), the MLP-Mish head.
_base_ = ['./base_simcc_eba-res18-mlp_1xb32_synthhard-96x72.py']

model = dict(backbone=dict(act_cfg=dict(type='ReLU', inplace=True)))
