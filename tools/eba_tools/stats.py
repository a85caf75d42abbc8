"""The ablation's statistics: mean and sample standard deviation over seeds, Welch's t interval
for the difference of two independent samples, the paired t interval for runs paired by seed,
Holm's step-down correction of a family of p-values, and the verdict of one paired step
(t quantiles and tail probabilities from SciPy, a runtime requirement of MMPose)."""
import math
import statistics
from typing import Dict, List, Sequence, Tuple

def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``; 0.0 for a single value).

    Args:
        values (Sequence[float]): At least one value.

    Returns:
        tuple[float, float]: ``(mean, std)``.
    """
    if not values:
        raise ValueError('mean_std needs at least one value')
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) if len(values) > 1 else 0.0)


def welch_interval(x: Sequence[float], y: Sequence[float],
                   confidence: float = 0.95) -> Dict[str, float]:
    """Welch's t interval for ``mean(x) - mean(y)`` (unequal variances).

    ``se = sqrt(sx^2/nx + sy^2/ny)``, Welch-Satterthwaite
    ``df = se^4 / ((sx^2/nx)^2/(nx-1) + (sy^2/ny)^2/(ny-1))`` and the interval
    ``diff -/+ t_{(1+confidence)/2, df} * se``.

    Args:
        x (Sequence[float]): First sample (at least 2 values).
        y (Sequence[float]): Second sample (at least 2 values).
        confidence (float): Two-sided confidence level. Defaults to 0.95.

    Returns:
        dict: ``diff``, ``low``, ``high``, ``se``, ``df``, ``t`` (the quantile used) and
        ``inside_noise`` (True when the interval contains 0).

    Raises:
        ValueError: if a sample has fewer than 2 values.
    """
    from scipy.stats import t as student_t
    if len(x) < 2 or len(y) < 2:
        raise ValueError(f'welch_interval needs >= 2 values per sample, got {len(x)} and '
                         f'{len(y)}')
    (mx, sx), (my, sy) = mean_std(x), mean_std(y)
    vx, vy = sx**2 / len(x), sy**2 / len(y)
    se = math.sqrt(vx + vy)
    diff = mx - my
    if se == 0.0:  # identical values in both samples: no spread to speak of
        return dict(diff=diff, low=diff, high=diff, se=0.0, df=math.inf, t=math.nan,
                    inside_noise=diff == 0.0)
    df = (vx + vy)**2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    t = float(student_t.ppf(0.5 + confidence / 2, df))
    low, high = diff - t * se, diff + t * se
    return dict(diff=diff, low=low, high=high, se=se, df=df, t=t,
                inside_noise=bool(low <= 0.0 <= high))



def t_quantile_975(df: float) -> float:
    """The two-sided 95 % quantile of Student's t with ``df`` degrees of freedom."""
    from scipy.stats import t as student_t
    return float(student_t.ppf(0.975, df))


def paired_interval(before: Sequence[float], after: Sequence[float],
                    confidence: float = 0.95) -> Dict[str, float]:
    """Paired t interval for ``mean(after - before)`` (one difference per seed).

    With ``d_i = after_i - before_i`` (n pairs): ``se = sd(d) / sqrt(n)``, ``df = n - 1``, the
    interval ``mean(d) -/+ t_{(1+confidence)/2, df} * se`` and the two-sided p-value of
    ``mean(d) = 0``, ``2 * (1 - F_t(|mean(d)| / se; df))``.

    Args:
        before (Sequence[float]): The first variant's values, in seed order.
        after (Sequence[float]): The second variant's values for the same seeds.
        confidence (float): Two-sided confidence level. Defaults to 0.95.

    Returns:
        dict: ``diff``, ``low``, ``high``, ``half_width``, ``sd`` (of the differences),
        ``se``, ``df``, ``t`` (the quantile used), ``p`` and ``n``.

    Raises:
        ValueError: if the samples differ in length or hold fewer than 2 pairs.
    """
    from scipy.stats import t as student_t
    if len(before) != len(after):
        raise ValueError(f'paired_interval needs pairs, got {len(before)} and {len(after)} '
                         'values')
    n = len(before)
    if n < 2:
        raise ValueError(f'paired_interval needs >= 2 pairs, got {n}')
    d = [b - a for a, b in zip(before, after)]
    diff, sd = mean_std(d)
    se = sd / math.sqrt(n)
    df = n - 1
    t = float(student_t.ppf(0.5 + confidence / 2, df))
    if se == 0.0:
        p = 1.0 if diff == 0.0 else 0.0
    else:
        p = float(2 * student_t.sf(abs(diff) / se, df))
    return dict(diff=diff, low=diff - t * se, high=diff + t * se, half_width=t * se, sd=sd,
                se=se, df=df, t=t, p=p, n=n)


def holm(pvalues: Sequence[float]) -> List[float]:
    """Holm's step-down adjusted p-values (family-wise error control), in the input order.

    Sorted ascending, ``p_(i)`` becomes ``max_{j <= i} min(1, (m - j + 1) p_(j))`` (1-based),
    so a hypothesis is rejected at level alpha exactly when Holm's procedure rejects it.

    Args:
        pvalues (Sequence[float]): The family's raw p-values.

    Returns:
        list[float]: Adjusted p-values.
    """
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def step_verdicts(pairs: Sequence[Tuple[Sequence[float], Sequence[float]]], alpha: float = 0.05,
                  bound: float = 0.01) -> List[Dict]:
    """Paired intervals of a family of steps, corrected for the family, and a verdict each.

    Per step: the paired ``1 - alpha`` interval (its half-width is the step's noise floor), the
    Bonferroni-level interval (``1 - alpha / m``; simultaneous over the ``m`` steps, the
    interval that matches Holm's first, strictest, step) and Holm's adjusted p-value. Verdict:
    ``'helps'`` / ``'hurts'`` when the Holm-adjusted p is below ``alpha`` (sign of the mean
    difference), otherwise ``'bounded within ±x'`` with ``x`` the largest absolute end of the
    Bonferroni-level interval; ``within_bound`` says whether that ``x`` is at most ``bound``.

    Args:
        pairs (Sequence[tuple]): ``(before, after)`` value lists per step, paired by seed.
        alpha (float): Family-wise error rate. Defaults to 0.05.
        bound (float): The bound the study aims for (AP). Defaults to 0.01.

    Returns:
        list[dict]: Per step: :func:`paired_interval` at ``1 - alpha`` plus ``p_holm``,
        ``low_adj``, ``high_adj``, ``verdict``, ``resolved``, ``max_abs`` and ``within_bound``.
    """
    m = len(pairs)
    rows = [paired_interval(b, a, 1 - alpha) for b, a in pairs]
    adjusted = holm([r['p'] for r in rows])
    for (b, a), row, p_adj in zip(pairs, rows, adjusted):
        wide = paired_interval(b, a, 1 - alpha / m)
        row.update(p_holm=p_adj, low_adj=wide['low'], high_adj=wide['high'],
                   half_width_adj=wide['half_width'], resolved=p_adj < alpha)
        max_abs = max(abs(wide['low']), abs(wide['high']))
        row['max_abs'] = max_abs
        row['within_bound'] = (not row['resolved']) and max_abs <= bound
        if row['resolved']:
            row['verdict'] = 'helps' if row['diff'] > 0 else 'hurts'
        else:
            row['verdict'] = f'bounded within ±{max_abs:.3f}'
    return rows

