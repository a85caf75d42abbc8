"""Registry errors name the fix: close matches for typos, the custom_imports line."""
import pytest
from mmengine.config import Config
from mmpose.registry import KEYPOINT_CODECS, MODELS, TRANSFORMS

from eba_tools.registry_hints import (CUSTOM_IMPORTS_LINE, explain_registry_error, iter_types,
                                      missing_custom_imports, plugin_types, unknown_types)


def registry_error(registry, name) -> KeyError:
    with pytest.raises(KeyError) as err:
        registry.build(dict(type=name))
    return err.value


@pytest.mark.parametrize('registry,typo,close', [
    (MODELS, 'MLPSimCCHaed', 'MLPSimCCHead'),
    (MODELS, 'EBAResnet', 'EBAResNet'),
    (MODELS, 'EBAKLDiscreteLoss', 'EBAKLDiscretLoss'),
    (MODELS, 'mish', 'Mish'),
    (KEYPOINT_CODECS, 'SimCCLable', 'SimCCLabel'),
    (TRANSFORMS, 'TopDownAffine', 'TopdownAffine'),
])
def test_unknown_type_gets_the_close_match(registry, typo, close):
    line = explain_registry_error(registry_error(registry, typo))
    assert f'{typo!r}' in line and line.endswith(f'did you mean {close!r}?')


def test_unknown_type_without_a_close_match_points_at_custom_imports():
    line = explain_registry_error(registry_error(MODELS, 'Zzyzx'))
    assert "'Zzyzx'" in line and 'custom_imports' in line and 'did you mean' not in line


@pytest.mark.parametrize('name', ['MLPSimCCHead', 'EBAResNet', 'EBAKLDiscretLoss'])
def test_plugin_type_missing_from_registry_names_custom_imports(name):
    """What MMPose's tools raise when a config lacks custom_imports (plugin never imported)."""
    stock = KeyError(f'{name} is not in the mmpose::model registry. Please check whether the '
                     f'value of `{name}` is correct or it was registered as expected.')
    line = explain_registry_error(stock)
    assert name in line and line.endswith(CUSTOM_IMPORTS_LINE)


def test_where_the_type_is_set_and_other_errors():
    cfg = Config(dict(model=dict(head=dict(type='MLPSimCCHaed'))))
    line = explain_registry_error(registry_error(MODELS, 'MLPSimCCHaed'), cfg)
    assert 'model.head.type' in line
    assert explain_registry_error(KeyError('something else')) is None
    assert explain_registry_error(ValueError('X is not in the mmpose::model registry')) is None


def test_plugin_types():
    assert plugin_types().items() >= {'EBAResNet': 'model', 'MLPSimCCHead': 'model',
                                      'EBAKLDiscretLoss': 'model', 'Mish': 'model'}.items()
    assert 'ResNet' not in plugin_types()  # MMPose's own types are not the plugin's


def test_iter_types_skips_metainfo():
    cfg = dict(model=dict(head=dict(type='H')), pipeline=[dict(type='A')],
               metainfo=dict(keypoint_info={0: dict(name='a', type='upper')}))
    assert list(iter_types(cfg)) == [('model.head.type', 'H'), ('pipeline[0].type', 'A')]


@pytest.mark.parametrize('cfg,expected', [
    (dict(model=dict(backbone=dict(type='EBAResNet'))), 'EBAResNet (model.backbone)'),
    (dict(model=dict(head=dict(act_cfg=dict(type='Mish')))), 'Mish (model.head.act_cfg)'),
    (dict(model=dict(backbone=dict(type='EBAResNet')),
          custom_imports=dict(imports=['eba_prnetcc_mmpose'])), None),
    (dict(model=dict(backbone=dict(type='EBAResNet')),
          custom_imports=dict(imports='eba_prnetcc_mmpose.models')), None),
    (dict(model=dict(backbone=dict(type='ResNet'))), None),  # stock types need nothing
])
def test_missing_custom_imports(cfg, expected):
    message = missing_custom_imports(Config(cfg))
    if expected is None:
        assert message is None
    else:
        assert expected in message and message.endswith(CUSTOM_IMPORTS_LINE)


def test_unknown_types_flags_only_unregistered_names():
    cfg = Config(dict(model=dict(type='TopdownPoseEstimator', head=dict(type='MLPSimCCHaed')),
                      pipeline=[dict(type='LoadImage'), dict(type='mmdet.PackDetInputs')],
                      metainfo=dict(keypoint_info={0: dict(name='a', type='upper')})))
    problems = unknown_types(cfg)
    assert len(problems) == 1
    assert problems[0].startswith("model.head.type='MLPSimCCHaed'")
    assert problems[0].endswith("did you mean 'MLPSimCCHead'?")
