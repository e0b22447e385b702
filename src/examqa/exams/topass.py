"""What it takes to pass: the fewest further correct answers that turn a FAIL into a PASS.

The problem is exact and small. Turn some of the items that did not score into correct answers so that
every floor group (a subject, or a merged 과락 group) reaches its 40 % line and the total reaches the
60 % line, read as the exam's ``pass_rule.basis`` reads it. Every line only cares about points, and
more points never hurt, so within one subject the best *k* items to turn are the *k* worth the most:
the choice is only how many per subject. The algorithm, in integer units (points × the LCM of their
denominators, so 2.5-point items and 60 % boundaries stay exact):

1. per floor group and count *b*: the most the group can add to the total line with *b* items while
   reaching its own floor (items taken highest points first across the group's subjects, which is
   optimal when its subjects weigh alike on the total line; otherwise a small Pareto search);
2. combine the groups by a max-plus convolution over counts;
3. the answer is the smallest count whose best total reaches the line.

Ties are broken the same way everywhere (the vectorised cohort code follows these rules exactly): the
way with the highest total, then the fewest items in the group listed last, then items of the subject
listed first within a merged group. An item counts as one that could still score when the grader
scores a single mark of its lowest accepted choice; with the built-in key rule that is every item that
did not score.

The line the total must reach is the report's ``total.threshold_percent``: the statutory line, or the year's
announced cut where a rank exam has one (``target: cut``). A rank exam without the year's cut is counted to
its statutory lines only (``target: eligible``: meeting them does not decide a pass), and a sheet already
there needs 0; a part of a larger exam (``part_only``) has no count at all (None).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from examqa.exams.grading import Grader
from examqa.exams.models import Question, rule_decides
from examqa.exams.report import Report, ToPass

HUNDRED = Fraction(100)


@dataclass(frozen=True)
class PassFrame:
    """A graded paper's pass rule in integer units: what one sheet and a whole cohort are checked against.

    ``unit`` makes every item's points an integer. A subject's points count ``weights[s]`` times toward
    the total line: 1 each when the law reads the total in points, ``D / max_s`` when it reads the mean of
    subject percentages (``D`` the LCM of the subject maxima, in units).
    """

    subjects: tuple[str, ...]
    groups: tuple[tuple[int, ...], ...]
    """Floor groups as subject indices, in the order of their first subject; together a partition."""
    unit: int
    max_units: tuple[int, ...]
    weights: tuple[int, ...]
    group_floor: tuple[int, ...]
    """Units each group must reach (its 40 % line, rounded up: points are whole units)."""
    total_line: int
    """Weighted units the subjects must reach together (the 60 % line, or the year's cut; rounded up)."""
    decides: bool = True
    """Whether meeting every line is a PASS under the law: False for a rank exam without the year's cut
    (meeting them is eligibility) and for a part of a larger exam (nothing here decides)."""
    counts: bool = True
    """Whether further correct answers can be counted at all: False for a part of a larger exam."""

    @classmethod
    def from_report(cls, report: Report) -> PassFrame:
        """The frame of ``report``'s paper: its graded subjects, merged groups, maxima and rule."""
        names = tuple(s.name for s in report.subjects)
        index = {n: i for i, n in enumerate(names)}
        denominators = [i.points.denominator for i in report.items]
        denominators += [s.max_points.denominator for s in report.subjects]
        unit = math.lcm(1, *denominators)
        max_units = tuple(int(s.max_points * unit) for s in report.subjects)
        members: dict[str, list[int]] = {}
        for s in report.subjects:
            members.setdefault(s.group or f"\0{s.name}", []).append(index[s.name])
        groups = tuple(sorted((tuple(m) for m in members.values()), key=lambda g: g[0]))
        t = report.total
        floor = [math.ceil(t.floor_percent * sum(max_units[s] for s in g) / HUNDRED) for g in groups]
        if t.basis == "subject_mean":
            d = math.lcm(1, *(m for m in max_units if m))
            weights = tuple(d // m if m else 0 for m in max_units)
            line = math.ceil(len(names) * t.threshold_percent * d / HUNDRED)
        else:
            weights = (1,) * len(names)
            line = math.ceil(t.threshold_percent * sum(max_units) / HUNDRED)
        return cls(subjects=names, groups=groups, unit=unit, max_units=max_units, weights=weights,
                   group_floor=tuple(floor), total_line=line,
                   decides=rule_decides(report.rule_kind, t.cut is not None),
                   counts=report.rule_kind != "part")

    def uniform(self, group: Sequence[int]) -> bool:
        """Whether the group's subjects weigh alike on the total line (always so for total points)."""
        return len({self.weights[s] for s in group}) == 1


@dataclass(frozen=True)
class _GroupTable:
    best: list[int | None]
    """Index b: the most the group adds to the total line with b items while meeting its floor."""
    split: list[tuple[int, ...]]
    """Index b: items per subject of the group (in group order) for that best."""


def _uniform_table(frame: PassFrame, group: Sequence[int], gains: Sequence[Sequence[int]],
                   need: int) -> _GroupTable:
    # Highest points first across the group; equal points: the subject listed first.
    merged = sorted((-g, local) for local, s in enumerate(group) for g in gains[s])
    weight = frame.weights[group[0]]
    best: list[int | None] = []
    split: list[tuple[int, ...]] = []
    raw = 0
    counts = [0] * len(group)
    for b in range(len(merged) + 1):
        if b:
            neg, local = merged[b - 1]
            raw -= neg
            counts[local] += 1
        best.append(weight * raw if raw >= need else None)
        split.append(tuple(counts))
    return _GroupTable(best, split)


def _pareto_table(frame: PassFrame, group: Sequence[int], gains: Sequence[Sequence[int]],
                  need: int) -> _GroupTable:
    """Subjects that weigh differently on the total line: keep every undominated (raw, weighted) pair."""
    # states[c]: (raw, weighted, counts) with no other state at c at least as good in both
    states: list[list[tuple[int, int, tuple[int, ...]]]] = [[(0, 0, ())]]
    for s in group:
        prefix = [0]
        for g in sorted(gains[s], reverse=True):
            prefix.append(prefix[-1] + g)
        grown: list[list[tuple[int, int, tuple[int, ...]]]] = [[] for _ in range(len(states) + len(prefix) - 1)]
        for c, at in enumerate(states):
            for raw, weighted, counts in at:
                for k, p in enumerate(prefix):
                    grown[c + k].append((raw + p, weighted + frame.weights[s] * p, (*counts, k)))
        states = [_undominated(at) for at in grown]
    best: list[int | None] = []
    split: list[tuple[int, ...]] = []
    for at in states:
        ok = [st for st in at if st[0] >= need]
        if not ok:
            best.append(None)
            split.append((0,) * len(group))
            continue
        # deterministic: the highest weighted, then more items in the subject listed first
        top = max(ok, key=lambda st: (st[1], st[2]))
        best.append(top[1])
        split.append(top[2])
    return _GroupTable(best, split)


def _undominated(states: list[tuple[int, int, tuple[int, ...]]]) -> list[tuple[int, int, tuple[int, ...]]]:
    keep: list[tuple[int, int, tuple[int, ...]]] = []
    top_weighted: int | None = None
    # by raw descending (then weighted, then counts, for a fixed order); keep a state only when its
    # weighted beats every state with more raw
    for st in sorted(states, key=lambda st: (st[0], st[1], st[2]), reverse=True):
        if top_weighted is None or st[1] > top_weighted:
            keep.append(st)
            top_weighted = st[1]
    return keep


def fewest_to_pass(frame: PassFrame, points: Sequence[int],
                   gains: Sequence[Sequence[int]]) -> tuple[int, ...] | None:
    """Further correct answers per subject that pass with the fewest in all; None when nothing passes.

    ``points[s]`` is subject ``s``'s points now and ``gains[s]`` the points (both in ``frame.unit``s)
    of each of its items that could still score. All zeros when the sheet already passes.
    """
    best: list[int | None] = [0]
    args: list[list[int]] = []
    tables: list[_GroupTable] = []
    for gi, group in enumerate(frame.groups):
        need = frame.group_floor[gi] - sum(points[s] for s in group)
        table = (_uniform_table if frame.uniform(group) else _pareto_table)(frame, group, gains, need)
        tables.append(table)
        combined: list[int | None] = [None] * (len(best) + len(table.best) - 1)
        arg = [0] * len(combined)
        for c_prev, v in enumerate(best):
            if v is None:
                continue
            for b, w in enumerate(table.best):
                if w is None:
                    continue
                c, total = c_prev + b, v + w
                cur = combined[c]
                if cur is None or total > cur or (total == cur and b < arg[c]):
                    combined[c] = total
                    arg[c] = b
        best = combined
        args.append(arg)
    need_total = frame.total_line - sum(w * p for w, p in zip(frame.weights, points, strict=True))
    count = next((c for c, v in enumerate(best) if v is not None and v >= need_total), None)
    if count is None:
        return None
    per_subject = [0] * len(frame.subjects)
    for gi in range(len(frame.groups) - 1, -1, -1):
        b = args[gi][count]
        for local, s in enumerate(frame.groups[gi]):
            per_subject[s] = tables[gi].split[b][local]
        count -= b
    return tuple(per_subject)


def to_pass(report: Report, can_score: Callable[[str], bool] | None = None) -> ToPass | None:
    """What it takes ``report``'s sheet to pass: 0 items for a PASS, else the exact fewest and one way.

    ``can_score(item_id)`` says whether an item that did not score could (default: every one). None
    when even every such item would not pass. A partial bank is judged on what it holds, like its verdict.
    """
    target = to_pass_target(report)
    if report.decision == "part_only":
        return None
    if report.passed or report.decision == "cut_unpublished":
        return ToPass(items=0, by_subject={}, target=target)
    frame = PassFrame.from_report(report)
    index = {n: i for i, n in enumerate(frame.subjects)}
    points = [int(s.points * frame.unit) for s in report.subjects]
    gains: list[list[int]] = [[] for _ in frame.subjects]
    for item in report.items:
        if item.status != "correct" and item.subject in index and (can_score is None or can_score(item.id)):
            gains[index[item.subject]].append(int(item.points * frame.unit))
    counts = fewest_to_pass(frame, points, gains)
    if counts is None:
        return None
    return ToPass(items=sum(counts), by_subject=by_subject(frame.subjects, counts), target=target)


def to_pass_target(report: Report) -> Literal["pass", "cut", "eligible"]:
    """What a count of further correct answers reaches on ``report``'s paper (see :class:`ToPass`)."""
    if report.total.cut is not None:
        return "cut"
    return "eligible" if report.rule_kind == "rank" else "pass"


def by_subject(subjects: Sequence[str], counts: Sequence[int]) -> dict[str, int]:
    """Subject → further correct answers, in subject order, leaving out subjects that need none."""
    return {name: int(k) for name, k in zip(subjects, counts, strict=True) if k}


def to_pass_line(value: ToPass | None, passed: bool) -> str | None:
    """``합격까지 정답 N개 더: 보험업법 3, 회계학 1`` for a FAIL; None for a PASS, an eligible sheet or when unknown.

    A count toward a rank exam's lines without a published cut says so: it reaches eligibility, not a pass.
    """
    if passed or value is None or value.items == 0:
        return None
    ways = ", ".join(f"{name} {k}" for name, k in value.by_subject.items())
    if value.target == "cut":
        return f"합격선까지 정답 {value.items}개 더: {ways}"
    if value.target == "eligible":
        return f"과락·기준 충족까지 정답 {value.items}개 더 (합격선 미발표: 합격 여부는 순위로 결정): {ways}"
    return f"합격까지 정답 {value.items}개 더: {ways}"


def with_to_pass(report: Report, questions: Sequence[Question], grade: Grader, *,
                 blank_scores_on_all_accepted: bool) -> Report:
    """``report`` with its :class:`~examqa.exams.report.ToPass` filled in (``score`` calls this last).

    An item could still score when ``grade`` scores a single mark of its lowest accepted choice.
    """
    by_id = {q.id: q for q in questions}

    def can_score(item_id: str) -> bool:
        q = by_id[item_id]
        return grade(q, (min(q.accepted),), blank_scores_on_all_accepted=blank_scores_on_all_accepted) == "correct"

    return report.model_copy(update={"to_pass": to_pass(report, can_score)})
