# MMPose's SimCC-ViPNAS-MobileNetV3 (COCO 256x192) with the MLP-Mish SimCC head: the ViPNAS
# grouped deconvolutions are kept with Mish after each, and each axis' Linear becomes
# Linear-Mish-Linear. The backbone (not a ResNet) and everything else are the stock recipe.
_base_ = ['mmpose::body_2d_keypoint/simcc/coco/simcc_vipnas-mbv3_8xb64-210e_coco-256x192.py']

custom_imports = dict(imports=['eba_prnetcc_mmpose'], allow_failed_imports=False)

model = dict(head=dict(type='MLPSimCCHead'))
