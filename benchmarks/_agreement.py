"""Agreement between a scorer and human grades, and the aligned tables the benchmarks print.

Written out by hand (quadratic weighted kappa, Pearson, Spearman with ties ranked by their average
rank) because SciPy is not a dependency.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def quadratic_weighted_kappa(
    a: Sequence[int], b: Sequence[int], low: int = 1, high: int = 4
) -> float:
    """Cohen's kappa with quadratic weights for two raters on the integer scale low..high.

    1 - sum(w * observed) / sum(w * expected), with w = (i - j)^2 / (k - 1)^2 and the expected
    counts from the two raters' marginal histograms. NaN when no disagreement is possible
    (both raters always gave the same single grade).
    """
    if len(a) != len(b) or not a:
        raise ValueError("need two equally long, non-empty rating lists")
    k = high - low + 1
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b, strict=True):
        observed[x - low][y - low] += 1
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    n = len(a)
    disagreement = expected = 0.0
    for i in range(k):
        for j in range(k):
            w = (i - j) ** 2 / (k - 1) ** 2
            disagreement += w * observed[i][j]
            expected += w * rows[i] * cols[j] / n
    return 1.0 - disagreement / expected if expected else math.nan


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks; tied values share the average of the ranks they span."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for i in order[start : end + 1]:
            ranks[i] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson's r; NaN when either side is constant (or there are fewer than two pairs)."""
    if len(x) != len(y):
        raise ValueError("need two equally long lists")
    if len(x) < 2:
        return math.nan
    mx, my = statistics.fmean(x), statistics.fmean(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else math.nan


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho: Pearson's r of the average ranks (the tie-corrected form)."""
    return pearson(average_ranks(x), average_ranks(y))


def table(rows: Sequence[Sequence[str]], right_from: int = 1, right_to: int | None = None) -> str:
    """Aligned text table; the first row is the header. Columns ``right_from`` up to (not
    including) ``right_to`` are right-aligned (numbers), the others left-aligned."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    stop = len(widths) if right_to is None else right_to
    lines = []
    for r in rows:
        cells = [
            cell.rjust(widths[c]) if right_from <= c < stop else cell.ljust(widths[c])
            for c, cell in enumerate(r)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
