"""What a measurement ran on: CPU model and flags of interest, versions, threads, load."""
import os
import platform
from typing import Dict


def machine_info(device: str = 'cpu') -> Dict:
    """What the numbers were measured on: CPU model and flags of interest, versions, threads."""
    cpu, flags = platform.processor() or '', []
    try:
        with open('/proc/cpuinfo') as f:
            lines = f.readlines()
        cpu = next(line.split(':', 1)[1].strip() for line in lines if 'model name' in line)
        all_flags = next((line.split(':', 1)[1].split() for line in lines
                          if line.startswith('flags')), [])
        flags = [f for f in ('avx2', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_bf16',
                             'amx_tile') if f in all_flags]
    except (OSError, StopIteration):
        pass
    import torch
    info = dict(platform=platform.platform(), python=platform.python_version(),
                torch=torch.__version__, cpu=cpu, cpu_flags=flags, cpu_count=os.cpu_count(),
                torch_threads=torch.get_num_threads(), device=device,
                load_avg_start=list(os.getloadavg()))
    if device.startswith('cuda'):
        info['gpu'] = torch.cuda.get_device_name(device)
    for name in ('onnxruntime', 'openvino'):
        try:
            info[name] = __import__(name).__version__
        except ImportError:
            pass
    return info
