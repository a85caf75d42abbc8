# Study variant (b) = (a) + the MLP-Mish head: MMPose's ResNet-18 (ReLU, no attention) with the
# plugin's MLPSimCCHead (BN + Mish deconvolutions, Linear-Mish-Linear per axis).
_base_ = ['./base_simcc_eba-res18-mlp_1xb32_synthhard-96x72.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        **{k: _base_.model.backbone[k] for k in ('depth', 'base_channels', 'stem_channels')}))
