"""ONNX Runtime / OpenVINO sessions: requests this machine cannot serve are refused up front."""
import numpy as np
import pytest

from eba_prnetcc_mmpose.deploy import runtime
from eba_prnetcc_mmpose.deploy.runtime import DeployError, InferenceSession, check_request


@pytest.mark.parametrize('backend,precision,key_fact', [
    ('tensorflow', 'fp32', 'onnxruntime'),      # the backends to choose from
    ('onnxruntime', 'fp16', 'bf16'),            # the precisions to choose from
    ('onnxruntime', 'bf16', '--backend openvino'),
])
def test_unservable_requests_name_the_setting(backend, precision, key_fact):
    with pytest.raises(DeployError, match=key_fact):
        check_request(backend, precision)


def test_bf16_refused_on_cpus_without_it(monkeypatch):
    monkeypatch.setattr(runtime, 'cpu_bf16_support', lambda: None)
    with pytest.raises(DeployError, match='--precision fp32'):
        check_request('openvino', 'bf16')


def test_missing_model_file(tmp_path):
    with pytest.raises(DeployError, match='nope.onnx'):
        InferenceSession(str(tmp_path / 'nope.onnx'))


def test_session_takes_any_float_batch_and_describes_itself(demo_export):
    session = InferenceSession(demo_export['onnx'], num_threads=1)
    w, h = demo_export['input_size']
    out_x, out_y = session(np.zeros((2, 3, h, w), np.float64))  # cast to float32
    assert out_x.shape == (2, 17, 2 * w) and out_y.shape == (2, 17, 2 * h)
    assert session.describe() == 'onnxruntime fp32 (demo.onnx)'
