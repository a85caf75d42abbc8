"""Losses."""
from .kl_discret_loss import EBAKLDiscretLoss

__all__ = ['EBAKLDiscretLoss']
