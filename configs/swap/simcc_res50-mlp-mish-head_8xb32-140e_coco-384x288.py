# Swap the plugin's head into a stock pipeline: MMPose's SimCC-ResNet-50 (COCO 384x288) with the
# MLP-Mish SimCC head in place of SimCCHead. Everything else (backbone, loss, codec, data,
# schedule) is the stock recipe.
_base_ = ['mmpose::body_2d_keypoint/simcc/coco/simcc_res50_8xb32-140e_coco-384x288.py']

custom_imports = dict(imports=['eba_prnetcc_mmpose'], allow_failed_imports=False)

model = dict(head=dict(type='MLPSimCCHead', num_mlp_layers=2, mlp_hidden_channels=256))
