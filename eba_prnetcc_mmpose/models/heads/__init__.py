"""Heads."""
from .mlp_simcc_head import FeatureMapMismatchError, MLPSimCCHead

__all__ = ['MLPSimCCHead', 'FeatureMapMismatchError']
