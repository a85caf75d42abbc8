"""Swapping the plugin's head and backbone into stock MMPose SimCC configs."""
from .swap import SWAP_BACKBONE, SWAP_HEAD, stock_simcc_configs, swap_config

__all__ = ['SWAP_BACKBONE', 'SWAP_HEAD', 'stock_simcc_configs', 'swap_config']
