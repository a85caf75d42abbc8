"""The ablation's statistics: mean and sample standard deviation over seeds, and Welch's t
interval for the difference of two variants (unequal variances, Welch-Satterthwaite degrees of
freedom; the t quantile from SciPy, a runtime requirement of MMPose)."""
import math
import statistics
from typing import Dict, Sequence, Tuple

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
