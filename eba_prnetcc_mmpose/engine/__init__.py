"""Training-loop helpers in MMPose's ``HOOKS``: CPU thread settings with an oversubscription
warning (:class:`CPUThreadsHook`) and exact resume (:class:`ExactResumeHook`)."""
from .hooks import CPUThreadsHook, ExactResumeHook

__all__ = ['CPUThreadsHook', 'ExactResumeHook']
