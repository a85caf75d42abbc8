"""Registry errors name the fix: close matches for typos, the custom_imports line."""
import subprocess
import sys

import pytest
from mmengine.config import Config
from mmpose.registry import KEYPOINT_CODECS, MODELS, TRANSFORMS

from eba_prnetcc_mmpose.utils.registry_hints import (CUSTOM_IMPORTS_LINE, explain_registry_error,
                                                     iter_types, missing_custom_imports,
                                                     plugin_types, unknown_types)


def registry_error(registry, name) -> KeyError:
    with pytest.raises(KeyError) as err:
        registry.build(dict(type=name))
    return err.value


@pytest.mark.parametrize('registry,typo,match', [
    (MODELS, 'MLPSimCCHaed', "type 'MLPSimCCHaed' is not in the mmpose::model registry: did you "
                             "mean 'MLPSimCCHead'"),
    (MODELS, 'EBAResnet', "did you mean 'EBAResNet'"),
    (MODELS, 'EBAKLDiscreteLoss', "did you mean 'EBAKLDiscretLoss'"),
    (MODELS, 'mish', "did you mean 'Mish'"),
    (KEYPOINT_CODECS, 'SimCCLable', "mmpose::KEYPOINT_CODECS registry: did you mean 'SimCCLabel'"),
    (TRANSFORMS, 'TopDownAffine', "did you mean 'TopdownAffine'"),
    (MODELS, 'Zzyzx', "no name in the mmpose::model registry is close to 'Zzyzx': if it comes "
                      'from another package, import it with custom_imports'),
])
def test_unknown_type_gets_a_close_match(registry, typo, match):
    assert match in explain_registry_error(registry_error(registry, typo))


@pytest.mark.parametrize('name', ['MLPSimCCHead', 'EBAResNet', 'EBAKLDiscretLoss'])
def test_plugin_type_missing_from_registry_names_custom_imports(name):
    """What MMPose's tools raise when a config lacks custom_imports (plugin never imported)."""
    stock = KeyError(f'{name} is not in the mmpose::model registry. Please check whether the '
                     f'value of `{name}` is correct or it was registered as expected.')
    line = explain_registry_error(stock)
    assert f'{name} is registered by the eba_prnetcc_mmpose plugin, which this config does ' \
           f'not import: add {CUSTOM_IMPORTS_LINE}' in line


def test_where_the_type_is_set_and_other_errors():
    cfg = Config(dict(model=dict(head=dict(type='MLPSimCCHaed'))))
    line = explain_registry_error(registry_error(MODELS, 'MLPSimCCHaed'), cfg)
    assert "type 'MLPSimCCHaed' (set at model.head.type) is not in" in line
    assert explain_registry_error(KeyError('something else')) is None
    assert explain_registry_error(ValueError('X is not in the mmpose::model registry')) is None


def test_plugin_types():
    assert plugin_types() == {'EBAResNet': 'model', 'MLPSimCCHead': 'model',
                              'EBAKLDiscretLoss': 'model', 'Mish': 'model'}


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
        assert f'the config uses {expected} from eba_prnetcc_mmpose but has no custom_imports' \
               in message and CUSTOM_IMPORTS_LINE in message


def test_unknown_types_flags_only_unregistered_names():
    cfg = Config(dict(model=dict(type='TopdownPoseEstimator', head=dict(type='MLPSimCCHaed')),
                      pipeline=[dict(type='LoadImage'), dict(type='mmdet.PackDetInputs')],
                      metainfo=dict(keypoint_info={0: dict(name='a', type='upper')})))
    assert unknown_types(cfg) == ["model.head.type='MLPSimCCHaed' is not a registered type: "
                                  "did you mean 'MLPSimCCHead'?"]


def test_excepthook_adds_the_hint_under_the_traceback():
    code = ('from eba_prnetcc_mmpose.utils.registry_hints import install_excepthook\n'
            'install_excepthook(); install_excepthook()\n'
            'from mmpose.registry import MODELS\n'
            "MODELS.build(dict(type='MLPSimCCHaed'))\n")
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert res.returncode == 1
    assert 'Traceback' in res.stderr  # the original report stays
    assert res.stderr.count("hint (eba_prnetcc_mmpose): type 'MLPSimCCHaed' is not in the "
                            "mmpose::model registry: did you mean 'MLPSimCCHead'?") == 1


def test_stock_mmpose_train_tool_prints_the_hint_for_a_typo(tmp_path):
    """MMPose's own tools/train.py: the config's custom_imports loads the plugin, whose hook
    adds the close match under MMPose's traceback."""
    import mmpose
    from pathlib import Path
    train = Path(mmpose.__file__).parent / '.mim' / 'tools' / 'train.py'
    repo = Path(__file__).resolve().parents[2]
    cfg = tmp_path / 'typo.py'
    cfg.write_text(
        f"_base_ = [{str(repo / 'configs/demo/simcc_eba-res18-mlp_1xb16-30e_synthcoco-128x96.py')!r}]\n"
        "model = dict(head=dict(type='MLPSimCCHaed'))\n")
    res = subprocess.run([sys.executable, str(train), str(cfg), '--work-dir',
                          str(tmp_path / 'w')], capture_output=True, text=True, cwd=str(repo))
    assert res.returncode != 0 and 'Traceback' in res.stderr
    assert "did you mean 'MLPSimCCHead'?" in res.stderr.split('Traceback')[-1]
