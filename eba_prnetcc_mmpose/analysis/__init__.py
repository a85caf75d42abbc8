"""Model analysis: parameter and FLOP counts."""
from .complexity import build_model, measure_complexity, model_input_size

__all__ = ['build_model', 'measure_complexity', 'model_input_size']
