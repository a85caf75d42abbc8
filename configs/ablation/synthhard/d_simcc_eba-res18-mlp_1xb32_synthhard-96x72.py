# Study variant (d) = (c) + a Mish trunk = EBA-PRNetCC at proxy scale: the base config unchanged
# (EBAResNet-18 with Mish and bridge attention, the MLP-Mish head, EBAKLDiscretLoss as the paper
# rows read it, bin_reduction='mean').
_base_ = ['./base_simcc_eba-res18-mlp_1xb32_synthhard-96x72.py']
