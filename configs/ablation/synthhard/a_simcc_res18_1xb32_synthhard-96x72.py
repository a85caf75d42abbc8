# Study variant (a), the reference: stock SimCC at the study's budget. MMPose's ResNet-18 (ReLU,
# no attention) and MMPose's SimCCHead (ReLU deconvolutions, one Linear per axis) at the base's
# widths. The loss is the base's EBAKLDiscretLoss(bin_reduction='mean'), i.e. MMPose's
# KLDiscretLoss divided by the batch size (tests/models/losses), a constant factor Adam ignores,
# so the loss is the same function in (a)-(d) and the loss steps are measured from (d).
_base_ = ['./base_simcc_eba-res18-mlp_1xb32_synthhard-96x72.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        **{k: _base_.model.backbone[k] for k in ('depth', 'base_channels', 'stem_channels')}),
    head=dict(
        _delete_=True,
        type='SimCCHead',
        **{k: _base_.model.head[k]
           for k in ('in_channels', 'out_channels', 'input_size', 'in_featuremap_size',
                     'simcc_split_ratio', 'deconv_out_channels', 'deconv_kernel_sizes',
                     'loss', 'decoder')}))
