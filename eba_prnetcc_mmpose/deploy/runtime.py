"""Run an exported model in ONNX Runtime or OpenVINO: numpy in, numpy out.

Needs only numpy and the chosen runtime (no torch, no MMPose), so deployed code can use it.

Precision: ``fp32`` everywhere; ``bf16`` with OpenVINO on CPUs that have native bf16
arithmetic (x86 AVX512_BF16 or AMX), through OpenVINO's ``INFERENCE_PRECISION_HINT``. ONNX
Runtime's CPU provider has no bf16 convolution kernels, so ``bf16`` there is refused with a
message rather than silently run in fp32. ``int8`` runs the post-training quantised model that
``export_onnx.py --int8`` writes beside the fp32 one (``model.int8.xml`` for OpenVINO,
``model.int8.onnx`` for ONNX Runtime; :mod:`.quantize`), on CPUs with int8 dot-product
instructions (AVX512_VNNI, AVX_VNNI or AMX); elsewhere it is refused (it would run slower than
fp32). Layers left unquantised run in fp32.
"""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np

BACKENDS = ('onnxruntime', 'openvino')
PRECISIONS = ('fp32', 'bf16', 'int8')
#: Stem suffix of the int8 models beside the fp32 export (``model.int8.onnx``).
INT8_SUFFIX = '.int8'
#: CPU flags of int8 dot-product instructions, best first.
INT8_FLAGS = ('amx_int8', 'avx512_vnni', 'avx_vnni')


class DeployError(RuntimeError):
    """A deployment request cannot be served; the message names the cause and the fix."""


def cpu_flags() -> List[str]:
    """The CPU feature flags of ``/proc/cpuinfo`` (empty where there is none)."""
    try:
        with open('/proc/cpuinfo') as f:
            return next((line.split(':', 1)[1].split() for line in f
                         if line.startswith('flags')), [])
    except OSError:
        return []


def cpu_int8_support() -> Optional[str]:
    """The CPU flag that gives int8 dot products (AMX, AVX512_VNNI, AVX_VNNI), or None.

    Without one, int8 convolutions run on AVX2/AVX-512 multiply-add sequences and are no faster
    (often slower) than fp32, so int8 is refused there.
    """
    flags = cpu_flags()
    return next((f for f in INT8_FLAGS if f in flags), None)


def cpu_bf16_support() -> Optional[str]:
    """The CPU feature that gives native bf16 arithmetic, or None when it has none.

    Asks OpenVINO's CPU plugin when it is installed (``OPTIMIZATION_CAPABILITIES`` has
    ``BF16``); otherwise reads ``/proc/cpuinfo`` for ``avx512_bf16`` / ``amx_bf16``.
    """
    try:
        import openvino as ov
        caps = ov.Core().get_property('CPU', 'OPTIMIZATION_CAPABILITIES')
        if 'BF16' in caps:
            return 'BF16 (OpenVINO CPU capability)'
    except Exception:  # noqa: BLE001 - no OpenVINO or no CPU plugin: fall back to cpuinfo
        pass
    flags = cpu_flags()
    for flag in ('amx_bf16', 'avx512_bf16'):
        if flag in flags:
            return flag
    return None


def check_request(backend: str, precision: str) -> None:
    """Refuse, with a one-line reason, a backend/precision this machine cannot run."""
    if backend not in BACKENDS:
        raise DeployError(f'unknown backend {backend!r}; choose one of {", ".join(BACKENDS)}')
    if precision not in PRECISIONS:
        raise DeployError(f'unknown precision {precision!r}; choose one of '
                          f'{", ".join(PRECISIONS)}')
    if precision == 'bf16':
        if backend != 'openvino':
            raise DeployError('bf16 runs only with --backend openvino (ONNX Runtime has no bf16 '
                              'CPU kernels); use --precision fp32 or --backend openvino')
        if cpu_bf16_support() is None:
            raise DeployError('this CPU has no native bf16 arithmetic (needs AVX512_BF16 or '
                              'AMX); use --precision fp32')
    if precision == 'int8' and cpu_int8_support() is None:
        raise DeployError('this CPU has no int8 dot-product instructions (AVX512_VNNI, AVX_VNNI '
                          'or AMX), so int8 would run slower than fp32 here; use --precision '
                          'fp32')


def model_file(model_path: str, backend: str, precision: str = 'fp32') -> str:
    """The file a backend runs for ``model_path`` (``.onnx``, ``.xml``, or an int8 one).

    OpenVINO takes the ``.xml`` IR beside the ONNX file when there is one (else the ONNX file);
    ``int8`` takes ``STEM.int8.xml`` (OpenVINO) or ``STEM.int8.onnx`` (ONNX Runtime).
    """
    stem = osp.splitext(model_path)[0]
    stem = stem[:-len(INT8_SUFFIX)] if stem.endswith(INT8_SUFFIX) else stem
    ext = '.xml' if backend == 'openvino' else '.onnx'
    if precision == 'int8':
        path = stem + INT8_SUFFIX + ext
        if not osp.isfile(path):
            raise DeployError(f'no int8 model for {backend}: {path} not found; write it with '
                              f'tools/deployment/export_onnx.py CONFIG CKPT --int8 '
                              f'--calib-data DATA_ROOT')
        return path
    if osp.splitext(model_path)[0].endswith(INT8_SUFFIX):
        raise DeployError(f'{model_path} is an int8 model: pass the fp32 export with '
                          f'--precision int8, or use --precision int8')
    if backend == 'openvino' and osp.isfile(stem + '.xml'):
        return stem + '.xml'
    return model_path


class InferenceSession:
    """One loaded model: ``session(batch) -> [outputs]`` with numpy arrays.

    Args:
        model_path (str): ``.onnx`` file (OpenVINO uses the ``.xml`` IR beside it when there is
            one, else reads the ONNX file) or an OpenVINO ``.xml`` IR.
        backend (str): ``'onnxruntime'`` or ``'openvino'``. Defaults to ``'onnxruntime'``.
        precision (str): ``'fp32'``, ``'bf16'`` (OpenVINO on bf16 CPUs) or ``'int8'`` (the
            quantised model beside ``model_path``, on VNNI/AMX CPUs). Defaults to fp32.
        num_threads (int, optional): Intra-op threads; the runtime's default when None.
        device (str): ``'cpu'`` or ``'cuda'`` (ONNX Runtime's CUDA provider; OpenVINO: CPU
            only here). Defaults to ``'cpu'``.

    Raises:
        DeployError: Unknown backend/precision, bf16 or int8 where it cannot run, missing file
            or runtime.
    """

    def __init__(self, model_path: str, backend: str = 'onnxruntime', precision: str = 'fp32',
                 num_threads: Optional[int] = None, device: str = 'cpu'):
        check_request(backend, precision)
        self.backend, self.precision = backend, precision
        model_path = model_file(model_path, backend, precision)
        if not osp.isfile(model_path):
            raise DeployError(f'model file not found: {model_path}')
        self.model_path = model_path
        if backend == 'onnxruntime':
            self._init_ort(model_path, num_threads, device)
        else:
            self._init_openvino(model_path, precision, num_threads, device)

    def _init_ort(self, path: str, num_threads: Optional[int], device: str) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise DeployError('onnxruntime is not installed: pip install onnxruntime') from None
        if path.endswith('.xml'):
            raise DeployError(f'ONNX Runtime needs the .onnx file, got {path}')
        opts = ort.SessionOptions()
        if num_threads:
            opts.intra_op_num_threads = num_threads
        providers = (['CUDAExecutionProvider', 'CPUExecutionProvider']
                     if device.startswith('cuda') else ['CPUExecutionProvider'])
        self._ort = ort.InferenceSession(path, opts, providers=providers)
        self.input_name = self._ort.get_inputs()[0].name
        self.output_names = [o.name for o in self._ort.get_outputs()]

    def _init_openvino(self, path: str, precision: str, num_threads: Optional[int],
                       device: str) -> None:
        try:
            import openvino as ov
        except ImportError:
            raise DeployError('openvino is not installed: pip install openvino') from None
        if device != 'cpu':
            raise DeployError('the OpenVINO backend runs on the CPU here; use --device cpu')
        # int8: the quantised layers run in int8, everything else in f32 (not bf16 by itself)
        config: Dict[str, str] = {'INFERENCE_PRECISION_HINT': 'bf16' if precision == 'bf16'
                                  else 'f32'}
        if num_threads:
            config['INFERENCE_NUM_THREADS'] = str(num_threads)
        core = ov.Core()
        self._ov = core.compile_model(core.read_model(path), 'CPU', config)
        self._request = self._ov.create_infer_request()
        self.input_name = self._ov.inputs[0].get_any_name()
        self.output_names = [o.get_any_name() for o in self._ov.outputs]

    def __call__(self, batch: np.ndarray) -> List[np.ndarray]:
        """Run one batch (N, 3, H, W) float32; return the outputs in the model's order."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if self.backend == 'onnxruntime':
            return self._ort.run(None, {self.input_name: batch})
        res = self._request.infer({0: batch})
        return [np.array(res[o], dtype=np.float32) for o in self._ov.outputs]

    def describe(self) -> str:
        """``backend precision (file)`` for logs."""
        return f'{self.backend} {self.precision} ({osp.basename(self.model_path)})'

