# Study variant (g) = (d) with the other loss reading: EBAKLDiscretLoss(bin_reduction='sum') (a
# true KL per axis: x:y weighted 1:1 and the whole loss ~170x larger) instead of 'mean' (x:y
# weighted 1/144 : 1/192 at this input size).
_base_ = ['./base_simcc_eba-res18-mlp_1xb32_synthhard-96x72.py']

model = dict(head=dict(loss=dict(bin_reduction='sum')))
