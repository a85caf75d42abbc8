"""Heads."""
from .mlp_simcc_head import MLPSimCCHead

__all__ = ['MLPSimCCHead']
