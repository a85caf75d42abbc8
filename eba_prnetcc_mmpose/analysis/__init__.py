"""Model analysis: parameter and FLOP counts, benchmarks.

``build_model`` and ``model_input_size`` live in :mod:`eba_prnetcc_mmpose.utils.model_build`
(shared with :mod:`eba_prnetcc_mmpose.deploy`); they are re-exported here for existing callers.
"""
from ..utils.model_build import build_model, model_input_size
from .ablation import (VARIANTS, Budget, mean_std, run_study, summarize, welch_interval,
                       write_report)
from .complexity import count_model, measure_complexity

__all__ = ['build_model', 'count_model', 'measure_complexity', 'model_input_size', 'VARIANTS',
           'Budget', 'mean_std', 'run_study', 'summarize', 'welch_interval', 'write_report']
