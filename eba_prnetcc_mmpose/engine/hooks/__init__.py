"""Hooks registered into ``mmpose.registry.HOOKS`` on import (enable them with ``custom_hooks``)."""
from .cpu_threads_hook import CPUThreadsHook
from .exact_resume_hook import ExactResumeHook

__all__ = ['CPUThreadsHook', 'ExactResumeHook']
