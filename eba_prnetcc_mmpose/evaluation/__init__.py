"""Evaluation helpers."""
from .mean_pose import evaluate_mean_pose, mean_pose

__all__ = ['evaluate_mean_pose', 'mean_pose']
