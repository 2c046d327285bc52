"""The one statistic behind every accuracy verdict of Part V.

A report's accuracy is one training run: one draw from the distribution of runs
that its settings produce, measured on a finite test set, on the official data.
The book's figure is the mean of :math:`k` seeds of the same settings, on a test
set of its own size, on the JPEG copy of CIFAR-10.  The two agree when their
difference :math:`d = \\bar{x}_\\text{ours} - x_\\text{report}` is within

.. math::

    \\text{tol} = \\sqrt{z^2\\Bigl(\\frac{p(1-p)}{n_r} + \\frac{p(1-p)}{n_b} + \\delta^2\\Bigr)
                  + t_{\\nu}^2\\, s^2\\Bigl(1 + \\frac{1}{k}\\Bigr)} + r,

where :math:`p` is the published accuracy, :math:`n_r, n_b` the two test sets'
sizes (each test set's binomial error; our seeds share one test set, so its
error does not shrink with :math:`k`), :math:`s` the seed-to-seed standard
deviation measured in the book's record (counted once for the report's single run
and :math:`1/k` times for our mean), :math:`\\delta` the data copy's measured shift
(one more JPEG generation's cost in accuracy; 0 when both sides read the same
data) and :math:`r` half the last printed digit of the report's figure.  Each part
is scaled by its own two-sided 95% factor: :math:`z = 1.96` for the parts known
exactly, Student's :math:`t_{\\nu}` at the degrees of freedom :math:`\\nu` of the
measured spread (the seeds minus one, pooled over the runs of a study) for the
part estimated from seeds, so that a spread measured from few seeds widens the
tolerance as much as it should.  :math:`\\sigma_d`, the standard deviation of the
difference, is the same sum without the factors.

:func:`simulate_calibration` checks the rule: when the report's figure is drawn
from the book's own distribution it says *reproduced* at least 95% of the time,
and when it is shifted by four standard deviations of the difference it says
*differs* at least 95% of the time.

Two of the book's own runs are compared with the same statistic (:func:`between`):
both ran on the same copy, so :math:`\\delta = 0`; their figures are typed by no
one, so :math:`r = 0`; and the first side is a mean of :math:`k_a` seeds instead of
one run, so the spread term is :math:`s^2(1/k_a + 1/k)` (the report's case is
:math:`k_a = 1`).  There is no second formula.

>>> tol = tolerance(0.59, 10_000, [0.60, 0.61, 0.59], 10_000)
>>> round(tol.sd, 4), tol.seeds, round(tol.total, 4)
(0.0135, 3, 0.0515)
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Spread",
    "Tolerance",
    "between",
    "binomial_se",
    "pooled_spread",
    "simulate_calibration",
    "student_t_cdf",
    "student_t_quantile",
    "tolerance",
]

#: Two-sided level of every verdict: 95%.
LEVEL = 0.95


def binomial_se(p: float, n: int) -> float:
    """Standard error of an accuracy ``p`` measured on ``n`` test images: √(p(1−p)/n).

    >>> round(binomial_se(0.5, 10_000), 4)
    0.005
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"expected an accuracy in [0, 1], got {p}")
    if n < 1:
        raise ValueError(f"expected a positive number of test images, got {n}")
    return math.sqrt(p * (1 - p) / n)


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularized incomplete beta function (Lentz's method)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lbeta + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def student_t_cdf(t: float, df: float) -> float:
    """Student's t distribution function with ``df`` degrees of freedom (``inf``: normal).

    .. math:: F(t) = 1 - \\tfrac12 I_{\\nu/(\\nu+t^2)}(\\nu/2, 1/2) \\quad (t \\ge 0)

    >>> round(student_t_cdf(2.0, 1), 4)  # Cauchy: 1/2 + atan(2)/pi
    0.8524
    >>> round(student_t_cdf(1.96, math.inf), 4)
    0.975
    """
    if not df > 0:
        raise ValueError(f"expected positive degrees of freedom, got {df}")
    if math.isinf(df):
        return 0.5 * math.erfc(-t / math.sqrt(2))
    tail = 0.5 * _betainc(df / 2, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def student_t_quantile(q: float, df: float) -> float:
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom (bisection).

    >>> round(student_t_quantile(0.975, 2), 3), round(student_t_quantile(0.975, 30), 3)
    (4.303, 2.042)
    >>> round(student_t_quantile(0.975, math.inf), 3)
    1.96
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"expected a probability in (0, 1), got {q}")
    if q < 0.5:
        return -student_t_quantile(1 - q, df)
    lo, hi = 0.0, 1.0
    while student_t_cdf(hi, df) < q:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        if student_t_cdf(mid, df) < q:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@functools.lru_cache(maxsize=256)
def _quantile(df: float) -> float:
    return student_t_quantile(0.5 + LEVEL / 2, df)


@dataclass(frozen=True)
class Spread:
    """A seed-to-seed standard deviation and the seeds behind it.

    ``sd`` is pooled over the runs of a study that have two seeds or more
    (:func:`pooled_spread`); ``df`` is its degrees of freedom (the seeds minus one,
    summed over those runs), ``runs`` how many runs it pools.

    >>> Spread(0.01, 4, 2).measured, Spread(0.0, 0, 0).measured
    (True, False)
    """

    sd: float
    df: int
    runs: int = 1

    @property
    def measured(self) -> bool:
        """Whether a spread was measured at all (at least one run with two seeds)."""
        return self.df > 0


def pooled_spread(groups: Iterable[Sequence[float]]) -> Spread:
    """Pool the seed-to-seed variance of several runs: :math:`s^2 = \\sum (k_i-1)s_i^2 / \\sum (k_i-1)`.

    Each group is one run's values over its seeds; runs of one seed add nothing.

    >>> sp = pooled_spread([[0.50, 0.52], [0.60, 0.60, 0.63], [0.7]])
    >>> round(sp.sd, 4), sp.df, sp.runs
    (0.0163, 3, 2)
    >>> pooled_spread([[0.5]]).measured
    False
    """
    ss, df, runs = 0.0, 0, 0
    for g in groups:
        vals = [float(v) for v in g]
        if len(vals) < 2:
            continue
        ss += statistics.variance(vals) * (len(vals) - 1)
        df += len(vals) - 1
        runs += 1
    return Spread(math.sqrt(ss / df) if df else 0.0, df, runs)


@dataclass(frozen=True)
class Tolerance:
    """The parts of a verdict's tolerance (see the module docstring for the equation).

    Attributes
    ----------
    binomial_report, binomial_ours
        Each test set's binomial standard error at the published accuracy.
    seed_sd
        The measured seed-to-seed standard deviation :math:`s` (0 when unmeasured).
    seed_df
        Its degrees of freedom (0: not measured; then :math:`t` is the normal 1.96).
    seeds
        The book's seeds :math:`k` behind the mean compared.
    shift
        The data copy's measured shift :math:`\\delta` (0 on the same data).
    rounding
        Half the last printed digit of the report's figure.
    report_seeds
        The seeds :math:`k_a` behind the other side: 1 for a report's single run,
        more when two of the book's runs are compared (:func:`between`).
    """

    binomial_report: float
    binomial_ours: float
    seed_sd: float
    seed_df: int
    seeds: int
    shift: float = 0.0
    rounding: float = 0.0
    report_seeds: int = 1

    @property
    def _known(self) -> float:
        return self.binomial_report**2 + self.binomial_ours**2 + self.shift**2

    @property
    def _seed(self) -> float:
        return self.seed_sd**2 * (1 / self.report_seeds + 1 / self.seeds)

    @property
    def sd(self) -> float:
        """:math:`\\sigma_d`, the standard deviation of the difference."""
        return math.sqrt(self._known + self._seed)

    @property
    def z(self) -> float:
        """The normal 95% factor, for the parts known exactly (1.96)."""
        return _quantile(math.inf)

    @property
    def t(self) -> float:
        """Student's 95% factor at the seed spread's degrees of freedom (``z`` if unmeasured)."""
        return _quantile(self.seed_df if self.seed_df > 0 else math.inf)

    @property
    def total(self) -> float:
        """The tolerance :math:`\\sqrt{z^2(\\ldots) + t^2 s^2(1+1/k)} + r`."""
        return math.sqrt(self.z**2 * self._known + self.t**2 * self._seed) + self.rounding

    def parts(self) -> dict[str, float]:
        """The parts as plain numbers, for the listing (``reproduce --list --json``)."""
        return {
            "binomial_report": self.binomial_report,
            "binomial_ours": self.binomial_ours,
            "seed_sd": self.seed_sd,
            "seed_df": self.seed_df,
            "seeds": self.seeds,
            "report_seeds": self.report_seeds,
            "data_shift": self.shift,
            "rounding": self.rounding,
            "z": self.z,
            "t": self.t,
            "total": self.total,
        }

    def __str__(self) -> str:
        seed = (
            f"seed sd {self.seed_sd:.4f} ({self.seed_df} df)"
            if self.seed_df
            else "seed spread not measured"
        )
        bits = [
            f"test sets {self.binomial_report:.4f} and {self.binomial_ours:.4f}",
            seed,
            f"{self.seeds} seed{'s' if self.seeds != 1 else ''}",
        ]
        if self.shift:
            bits.append(f"copy shift {self.shift:.4f}")
        if self.rounding:
            bits.append(f"rounding {self.rounding:g}")
        return f"{self.total:.4f} (sd {self.sd:.4f}: {', '.join(bits)}; t {self.t:.2f})"


def tolerance(
    published: float,
    n_published: int,
    ours: Sequence[float],
    n_ours: int,
    *,
    spread: Spread | None = None,
    shift: float = 0.0,
    rounding: float = 0.0,
    report_seeds: int = 1,
) -> Tolerance:
    """The :class:`Tolerance` for comparing a published accuracy with the book's seeds.

    ``spread`` is the study's pooled seed spread; without it the spread of ``ours``
    is used when it has two values or more.  ``report_seeds`` is the number of runs
    behind ``published`` (1 for a report; :func:`between` for two of the book's runs).

    >>> t = tolerance(0.5, 10_000, [0.5], 10_000)
    >>> round(t.total, 4), t.seed_df
    (0.0139, 0)
    >>> tolerance(0.5, 10_000, [], 10_000)
    Traceback (most recent call last):
    ...
    ValueError: expected at least one result of the book's runs, got none
    """
    if not ours:
        raise ValueError("expected at least one result of the book's runs, got none")
    if shift < 0 or rounding < 0:
        raise ValueError(f"expected a non-negative shift and rounding, got {shift}, {rounding}")
    if report_seeds < 1:
        raise ValueError(
            f"expected at least one run behind the published figure, got {report_seeds}"
        )
    if spread is None:
        spread = pooled_spread([ours])
    return Tolerance(
        binomial_se(published, n_published),
        binomial_se(published, n_ours),
        spread.sd,
        spread.df,
        len(ours),
        shift,
        rounding,
        report_seeds,
    )


def between(
    first: Sequence[float],
    n_first: int,
    second: Sequence[float],
    n_second: int,
    *,
    spread: Spread | None = None,
) -> Tolerance:
    """The :class:`Tolerance` for the gap between two of the book's runs on the same data.

    The same statistic as a report against the book (:func:`tolerance`), with the data
    shift and the rounding zero and ``first`` counted as the mean of its
    :math:`k_a` seeds: :math:`s^2(1/k_a + 1/k)`.  The spread is pooled over both
    sides' seeds unless ``spread`` (a study's) is given.

    >>> t = between([0.60, 0.61, 0.59], 10_000, [0.62, 0.63, 0.61], 10_000)
    >>> t.report_seeds, t.seeds, t.seed_df, round(t.total, 4)
    (3, 3, 4, 0.0264)
    >>> between(0.6, 10_000, [0.6], 10_000)
    Traceback (most recent call last):
    ...
    TypeError: expected the first run's accuracies over its seeds (a sequence), got float
    """
    if isinstance(first, (str, bytes)) or not isinstance(first, Sequence):
        raise TypeError(
            "expected the first run's accuracies over its seeds (a sequence), got "
            f"{type(first).__name__}"
        )
    if not first or not second:
        raise ValueError("expected at least one result on each side, got none")
    a, b = [float(v) for v in first], [float(v) for v in second]
    if spread is None:
        spread = pooled_spread([a, b])
    return tolerance(statistics.fmean(a), n_first, b, n_second, spread=spread, report_seeds=len(a))


def simulate_calibration(
    *,
    mean: float = 0.6,
    seed_sd: float = 0.008,
    n_test: int = 10_000,
    seeds: int = 3,
    runs: int = 8,
    shift_sds: float = 0.0,
    report_seeds: int = 1,
    studies: int = 2000,
    rng: np.random.Generator | int | None = 0,
) -> float:
    """Share of simulated studies in which the rule says *reproduced*.

    Each simulated study trains ``runs`` runs of ``seeds`` seeds (the spread is pooled
    over them, as a rule pools a record's runs) and draws the report's single run
    from the same distribution, moved by ``shift_sds`` standard deviations of the
    difference.  Every accuracy is a seed effect plus the binomial noise of its test
    set.  With ``report_seeds`` above 1 the other side is one of the book's own runs,
    the mean of that many seeds, judged by :func:`between`.

    >>> round(simulate_calibration(studies=400), 2) >= 0.95
    True
    """
    g = np.random.default_rng(rng)
    p = mean
    b = math.sqrt(p * (1 - p) / n_test)
    sd_run = math.sqrt(seed_sd**2 + b**2)
    true_sd_d = math.sqrt(2 * b**2 + seed_sd**2 * (1 / report_seeds + 1 / seeds))
    hits = 0
    for _ in range(studies):
        x = g.normal(p, sd_run, size=(runs, seeds))
        if report_seeds == 1:
            report = float(g.normal(p + shift_sds * true_sd_d, sd_run))
            sp = pooled_spread(x)
            tol = tolerance(min(max(report, 0.0), 1.0), n_test, list(x[0]), n_test, spread=sp)
        else:
            other = g.normal(p + shift_sds * true_sd_d, sd_run, size=report_seeds)
            report = float(other.mean())
            tol = between(list(other), n_test, list(x[0]), n_test)
        hits += abs(float(x[0].mean()) - report) <= tol.total
    return hits / studies
