# MMPose's SimCC-MobileNetV2 without deconvolutions (COCO 256x192) with the MLP-Mish SimCC head:
# the 1x1 conv to 17 keypoints is kept and each axis' Linear becomes Linear-Mish-Linear. The
# backbone (not a ResNet) and everything else are the stock recipe.
_base_ = [
    'mmpose::body_2d_keypoint/simcc/coco/simcc_mobilenetv2_wo-deconv-8xb64-210e_coco-256x192.py'
]

custom_imports = dict(imports=['eba_prnetcc_mmpose'], allow_failed_imports=False)

model = dict(head=dict(type='MLPSimCCHead'))
