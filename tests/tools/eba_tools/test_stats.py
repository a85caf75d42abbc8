"""The ablation's statistics against hand-computed values."""
import math

import pytest

from eba_tools.stats import mean_std, t_quantile_975, welch_interval


def test_mean_std_hand_computed():
    assert mean_std([0.1, 0.2, 0.3]) == pytest.approx((0.2, 0.1))
    assert mean_std([0.5]) == (0.5, 0.0)
    with pytest.raises(ValueError):
        mean_std([])


def test_welch_interval_equal_spread_is_integer_df():
    # x = 1,2,3 and y = 2,3,4: variances 1 and 1, se = sqrt(1/3 + 1/3), df = 4 exactly,
    # t_{0.975, 4} = 2.776445 (printed tables: 2.776).
    w = welch_interval([1, 2, 3], [2, 3, 4])
    se = math.sqrt(2 / 3)
    assert w['diff'] == pytest.approx(-1.0)
    assert w['se'] == pytest.approx(se)
    assert w['df'] == pytest.approx(4.0)
    assert w['t'] == pytest.approx(2.776445, abs=1e-6) == pytest.approx(t_quantile_975(4.0))
    assert (w['low'], w['high']) == pytest.approx((-1 - 2.776445 * se, -1 + 2.776445 * se),
                                                  abs=1e-5)
    assert w['inside_noise']


def test_welch_interval_unequal_spread():
    # x = 1,2,3 (var 1, n 3), y = 4,5,6,7 (var 5/3, n 4): vx = 1/3, vy = 5/12, se^2 = 3/4,
    # df = (3/4)^2 / ((1/3)^2/2 + (5/12)^2/3) = 0.5625 / 0.1134259 = 4.95918...
    w = welch_interval([1, 2, 3], [4, 5, 6, 7])
    assert w['diff'] == pytest.approx(-3.5)
    assert w['se'] == pytest.approx(math.sqrt(0.75))
    assert w['df'] == pytest.approx(4.95918, abs=1e-5)
    assert 2.5706 < w['t'] < 2.7764  # between the t_{0.975} table values for df 5 and df 4
    assert w['high'] < 0 and not w['inside_noise']


def test_welch_interval_without_spread_and_too_few_values():
    same = welch_interval([0.2, 0.2], [0.2, 0.2])
    assert same['inside_noise'] and same['se'] == 0.0
    assert not welch_interval([0.3, 0.3], [0.2, 0.2])['inside_noise']
    with pytest.raises(ValueError):
        welch_interval([1.0], [1.0, 2.0])
