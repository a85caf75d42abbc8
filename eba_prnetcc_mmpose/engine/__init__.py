"""Training-loop helpers: CPU thread settings with an oversubscription warning
(:class:`CPUThreadsHook`) and exact resume (:class:`ExactResumeHook`), both in MMPose's ``HOOKS``."""
from .hooks import CPUThreadsHook, ExactResumeHook

__all__ = ['CPUThreadsHook', 'ExactResumeHook']
