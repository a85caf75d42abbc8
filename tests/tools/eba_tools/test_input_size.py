"""The one input-size rule: the head's in_featuremap_size is the backbone's map, ceil(side / 32)
for ResNet, at any input size (80 x 60 included), with one message."""
import pytest
import torch

from eba_tools.input_size import expected_featuremap_size, feature_map_problem


@pytest.mark.parametrize('size', [(80, 60), (96, 96), (192, 256), (33, 31)])
def test_ceil_rule_is_what_a_resnet_gives(size):
    from mmpose.registry import MODELS
    backbone = MODELS.build(dict(type='EBAResNet', depth=18, base_channels=8, stem_channels=8,
                                      reduction=4))
    backbone.eval()
    with torch.no_grad():
        feat = backbone(torch.zeros(1, 3, size[1], size[0]))[-1]
    assert expected_featuremap_size(size, 32) == (feat.shape[-1], feat.shape[-2])


def test_message_names_the_numbers_the_rule_and_the_setting():
    line = feature_map_problem((2, 1), (80, 60), (3, 2), 32)
    for fact in ('in_featuremap_size (2, 1)', '80 x 60', '3 x 2', 'ceil(W / 32), ceil(H / 32)',
                 'in_featuremap_size=(3, 2)', 'any input size trains'):
        assert fact in line, fact
    assert feature_map_problem((3, 2), (80, 60), (3, 2), 32) is None
    assert feature_map_problem(None, (80, 60), (3, 2), 32) is None
