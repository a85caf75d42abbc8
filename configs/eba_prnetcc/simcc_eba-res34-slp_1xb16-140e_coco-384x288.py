# Ablation (paper Table 3): EBA-PRNetCC ResNet-34 with a single-layer-perceptron (SLP) head,
# i.e. one Linear per axis as in stock SimCC (reported AP 76.3, 35 M params).
_base_ = ['./simcc_eba-res34-mlp_1xb16-140e_coco-384x288.py']

model = dict(head=dict(num_mlp_layers=1))
