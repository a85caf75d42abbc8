"""Deployment: ONNX export and parity checks."""
from .onnx_export import SimCCExportWrapper, decode_simcc, export_onnx, onnx_parity

__all__ = ['SimCCExportWrapper', 'decode_simcc', 'export_onnx', 'onnx_parity']
