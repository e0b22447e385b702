"""Item statistics over a graded cohort: difficulty, discrimination, option shares, KR-20, and flags.

Definitions (population moments throughout, so a hand computation on a small cohort matches):

- difficulty *p*: the share of students who scored the item;
- discrimination: the point-biserial correlation between scoring the item (0/1) and the points on the
  *rest* of the paper (the total less this item), so an item does not correlate with itself;
- KR-20 = k/(k−1) · (1 − Σ p(1−p) / σ²), σ² the variance of the number of items scored, per subject
  and over the whole paper;
- the strongest quarter: the ⌈n/4⌉ students highest on the total line's measure (ties in input order).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from examqa.cohort._grade import Graded
from examqa.cohort._models import ItemFlag, ItemStats, SubjectDistribution

LOW_DISCRIMINATION = 0.1
"""Below this point-biserial an item barely separates strong from weak candidates."""
BANDS = 20


def item_stats(g: Graded) -> tuple[ItemStats, ...]:
    """Every graded item's statistics, in paper order."""
    n = len(g.passed)
    if n == 0:
        return ()
    correct = g.correct.astype(np.float64)
    difficulty = correct.mean(axis=0)
    discrimination = _point_biserial(correct, g.points.sum(axis=1).astype(np.float64), g.units.astype(np.float64))
    top = strongest_quarter(g)
    widest = max((len(q.choices) for q in g.questions), default=0)
    shares = np.stack([(g.codes == c).mean(axis=0) for c in range(1, widest + 1)]) if widest else np.zeros((0, 0))
    top_shares = (np.stack([(g.codes[top] == c).mean(axis=0) for c in range(1, widest + 1)])
                  if widest else np.zeros((0, 0)))
    blank = (g.codes == 0).mean(axis=0)
    multiple = (g.codes < 0).mean(axis=0)
    out = []
    for i, (q, item) in enumerate(zip(g.questions, g.template.items, strict=True)):
        k = len(q.choices)
        r = discrimination[i]
        out.append(ItemStats(
            id=q.id, subject=item.subject, number=q.number, key=tuple(sorted(q.accepted)), points=item.points,
            choices=k, difficulty=_round(difficulty[i]), discrimination=None if math.isnan(r) else _round(r),
            option_shares=tuple(_round(x) for x in shares[:k, i]), blank=_round(blank[i]),
            multiple=_round(multiple[i]), top_option_shares=tuple(_round(x) for x in top_shares[:k, i])))
    return tuple(out)


def _round(x: float | np.floating[Any]) -> float:
    return round(float(x), 6)


def _point_biserial(x: NDArray[np.float64], total: NDArray[np.float64],
                    units: NDArray[np.float64]) -> NDArray[np.float64]:
    """Correlation of each column of ``x`` with ``total − units·x`` (NaN where a variance is zero)."""
    p = x.mean(axis=0)
    var_x = p * (1 - p)
    cov_xt = (x.T @ total) / len(total) - p * total.mean()
    var_t = total.var()
    cov = cov_xt - units * var_x
    var_rest = var_t - 2 * units * cov_xt + units**2 * var_x
    denominator = np.sqrt(np.clip(var_x, 0, None) * np.clip(var_rest, 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(denominator > 1e-12, cov / np.where(denominator > 1e-12, denominator, 1), np.nan)
    return np.asarray(r, dtype=np.float64)


def strongest_quarter(g: Graded) -> NDArray[np.intp]:
    """Rows of the ⌈n/4⌉ students highest on the total line's measure (ties: the earlier row)."""
    n = len(g.measure)
    order = np.argsort(-g.measure, kind="stable")
    return np.sort(order[: math.ceil(n / 4)])


def kr20(correct: NDArray[np.bool_]) -> float | None:
    """KR-20 of a students × items 0/1 matrix; None for fewer than 2 items or no spread in the scores."""
    k = correct.shape[1]
    if k < 2 or correct.shape[0] == 0:
        return None
    x = correct.astype(np.float64)
    p = x.mean(axis=0)
    variance = x.sum(axis=1).var()
    if variance <= 0:
        return None
    return _round(k / (k - 1) * (1 - float((p * (1 - p)).sum()) / variance))


def distributions(g: Graded) -> tuple[SubjectDistribution, ...]:
    """Each subject across the cohort: mean, median, 5 % bands, students under the 40 % line, KR-20."""
    t = g.template
    out = []
    subject_ok = g.subject_ok
    for s, result in enumerate(t.subjects):
        mx = g.frame.max_units[s]
        points = g.points[:, s]
        percent = points * 100.0 / mx if mx else np.zeros(len(points))
        own_floor = math.ceil(t.total.floor_percent * mx / 100)
        bands = np.minimum((points * BANDS) // mx if mx else np.zeros(len(points), np.int64), BANDS - 1)
        histogram = np.bincount(bands.astype(np.intp), minlength=BANDS)
        n = len(points)
        out.append(SubjectDistribution(
            name=result.name, name_en=result.name_en, items=result.items, max_points=result.max_points,
            floor_points=result.floor_points, group=result.group,
            mean_points=_round(points.mean() / g.frame.unit) if n else 0.0,
            mean_percent=_round(percent.mean()) if n else 0.0,
            median_percent=_round(np.median(percent)) if n else 0.0,
            below_floor=int((points < own_floor).sum()), failed_floor=int((~subject_ok[:, s]).sum()),
            histogram=tuple(int(c) for c in histogram),
            kr20=kr20(g.correct[:, g.subject == s])))
    return tuple(out)


def measure_percent(g: Graded) -> NDArray[np.float64]:
    """Each student's total as the pass rule reads it: percent of the total, or the mean of subjects."""
    return g.measure.astype(np.float64) * measure_scale(g)


def measure_scale(g: Graded) -> float:
    """Percent per weighted unit of the total line's measure."""
    frame = g.frame
    if g.template.total.basis == "subject_mean":
        d = max((w * m for w, m in zip(frame.weights, frame.max_units, strict=True)), default=0)
        return 100.0 / d / len(frame.subjects) if d else 0.0
    return 100.0 / sum(frame.max_units) if sum(frame.max_units) else 0.0


def flags(g: Graded, stats: tuple[ItemStats, ...]) -> tuple[ItemFlag, ...]:
    """Items that misbehave: a distractor the strongest quarter prefers to the key, or (near) zero discrimination."""
    out: list[ItemFlag] = []
    n_top = math.ceil(len(g.measure) / 4)
    for s in stats:
        key_share = sum(s.top_option_shares[c - 1] for c in s.key)
        wrong = [(share, c) for c, share in enumerate(s.top_option_shares, start=1) if c not in s.key]
        if wrong and n_top:
            share, choice = max(wrong, key=lambda w: (w[0], -w[1]))
            if share > key_share:
                key_text = ",".join(map(str, s.key))
                out.append(ItemFlag(
                    id=s.id, subject=s.subject, kind="key_suspect",
                    message=f"choice {choice} draws {share:.0%} of the strongest quarter, the key ({key_text}) "
                            f"{key_share:.0%}: check the key, or whether {choice} is also right",
                    numbers={"choice": choice, "top_share": share, "top_key_share": key_share,
                             "difficulty": s.difficulty, "top_students": n_top}
                    | ({} if s.discrimination is None else {"discrimination": s.discrimination})))
        r = s.discrimination
        # a 전항정답 item scores whatever is marked: its discrimination says nothing about the item
        if r is not None and r < LOW_DISCRIMINATION and len(s.key) < s.choices:
            kind = "negative_discrimination" if r < 0 else "low_discrimination"
            what = "weaker candidates do better on it" if r < 0 else "it barely separates strong from weak"
            out.append(ItemFlag(id=s.id, subject=s.subject, kind=kind,
                                message=f"discrimination {r:+.2f} (difficulty {s.difficulty:.0%}): {what}",
                                numbers={"discrimination": r, "difficulty": s.difficulty}))
    order = {"key_suspect": 0, "negative_discrimination": 1, "low_discrimination": 2}
    return tuple(sorted(out, key=lambda f: (order[f.kind], f.numbers.get("discrimination", 0.0))))

