"""The ablation's statistics against hand-computed values."""
import math

import pytest

from eba_tools.stats import (holm, mean_std, paired_interval, step_verdicts, t_quantile_975,
                             welch_interval)


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


def test_paired_interval_hand_computed_and_scipy():
    # differences 0.02, 0.01, 0.01, 0.03, 0.01: mean 0.016, sd 0.008944 (= sqrt(0.00032/4)),
    # se 0.004, t = 4.0 on 4 df: two-sided p 0.016130 (scipy.stats.ttest_rel), t_{0.975,4}
    # 2.776445, half-width 0.011106
    before = [0.50, 0.52, 0.49, 0.51, 0.50]
    after = [0.52, 0.53, 0.50, 0.54, 0.51]
    r = paired_interval(before, after)
    assert r['diff'] == pytest.approx(0.016) and r['sd'] == pytest.approx(math.sqrt(0.00008))
    assert r['se'] == pytest.approx(0.004) and r['df'] == 4 and r['n'] == 5
    assert r['p'] == pytest.approx(0.016130, abs=1e-6)
    assert r['half_width'] == pytest.approx(2.776445 * 0.004, abs=1e-6)
    assert (r['low'], r['high']) == pytest.approx((0.016 - 0.011106, 0.016 + 0.011106),
                                                  abs=1e-6)
    from scipy.stats import ttest_rel
    assert r['p'] == pytest.approx(ttest_rel(after, before).pvalue)
    # the paired interval is much narrower than Welch's when the seeds share their noise
    assert welch_interval(after, before)['high'] - welch_interval(after, before)['low'] > \
        r['high'] - r['low']


def test_paired_interval_edge_cases():
    same = paired_interval([0.0, 0.5], [0.25, 0.75])  # identical differences: no spread
    assert same['se'] == 0.0 and same['p'] == 0.0 and same['low'] == same['high']
    assert paired_interval([0.1, 0.2], [0.1, 0.2])['p'] == 1.0
    with pytest.raises(ValueError, match='pairs'):
        paired_interval([0.1, 0.2], [0.1])
    with pytest.raises(ValueError, match='>= 2'):
        paired_interval([0.1], [0.1])


def test_holm_hand_computed():
    # sorted 0.01, 0.03, 0.04, 0.2 -> 4*0.01, 3*0.03, max(2*0.04, 0.09), max(0.2, 0.09)
    assert holm([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.09, 0.09, 0.2])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1, monotone
    assert holm([]) == []


def test_step_verdicts_resolve_bound_and_correct():
    base = [0.50, 0.52, 0.49, 0.51, 0.50]
    helps = [b + d for b, d in zip(base, [0.05, 0.06, 0.05, 0.06, 0.055])]
    hurts = [b - d for b, d in zip(base, [0.05, 0.06, 0.05, 0.06, 0.055])]
    null = [b + d for b, d in zip(base, [0.001, -0.001, 0.002, -0.002, 0.0])]
    rows = step_verdicts([(base, helps), (base, hurts), (base, null)])
    assert [r['verdict'] for r in rows[:2]] == ['helps', 'hurts']
    assert rows[2]['verdict'].startswith('bounded within ±') and rows[2]['within_bound']
    # 3 steps: the family-wise interval is the 1 - 0.05/3 one, wider than the 95 % one
    from scipy.stats import t
    for r in rows:
        se = r['se']
        assert r['high_adj'] - r['diff'] == pytest.approx(t.ppf(1 - 0.05 / 6, 4) * se)
        assert r['half_width_adj'] > r['half_width']
        assert r['p_holm'] >= r['p']
    assert rows[2]['max_abs'] == pytest.approx(max(abs(rows[2]['low_adj']),
                                                   abs(rows[2]['high_adj'])))
