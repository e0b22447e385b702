"""Grading a cohort at once: the single-sheet rule, vectorised over students in exact integer arithmetic.

The structure of the paper (graded subjects, merged groups, maxima, notes) comes from ``score`` itself,
run once on an empty sheet; each item's status for each distinct mark comes from the exam's grader,
called once per item and mark; points are integers in :class:`~examqa.exams.topass.PassFrame` units, so every
verdict is the exact one ``score`` gives. ``tests/test_cohort.py`` checks that, student by student.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from examqa.cohort._read import Sheets
from examqa.exams.grading import Grader, ItemStatus
from examqa.exams.models import Blueprint, Question
from examqa.exams.report import Report
from examqa.exams.topass import PassFrame, fewest_to_pass

STATUS_CODES: tuple[ItemStatus, ...] = ("blank", "correct", "wrong", "multiple")
CORRECT = 1
MULTIPLE = 3
_NEG = -(1 << 60)  # an infeasible count; feasible values are never negative
_CHUNK = 4096  # failing students per block of the to-pass search: bounds its memory


@dataclass
class Graded:
    """Every student's items, subject points and verdict, as arrays (rows: students, in ``Sheets`` order)."""

    template: Report
    """``score`` on an empty sheet: the paper's structure, notes and rule."""
    frame: PassFrame
    questions: tuple[Question, ...]
    """The graded items, in ``template.items`` order (accredited subjects left out)."""
    columns: NDArray[np.intp]
    """Column of each graded item in ``Sheets.codes``."""
    subject: NDArray[np.intp]
    units: NDArray[np.int64]
    can_score: NDArray[np.bool_]
    codes: NDArray[np.int32]
    status: NDArray[np.int8]
    """Index into :data:`STATUS_CODES`."""
    points: NDArray[np.int64]
    """Students × subjects, in frame units."""
    group_ok: NDArray[np.bool_]
    measure: NDArray[np.int64]
    """What the total line is held against (weighted frame units)."""
    total_ok: NDArray[np.bool_]
    passed: NDArray[np.bool_]
    """A decided PASS under the law (never for a rank exam without the year's cut, nor a part of an exam)."""
    eligible: NDArray[np.bool_]
    """Every line met (floors and the total line): a PASS where the rule decides, else eligibility."""
    to_pass: NDArray[np.int64]
    """Further correct answers needed (0 for a PASS, −1 when nothing passes)."""
    to_pass_by: NDArray[np.int64]
    """Students × subjects: one way to get there."""

    @property
    def correct(self) -> NDArray[np.bool_]:
        """Students × graded items: whether the item scored."""
        return np.asarray(self.status == CORRECT, dtype=bool)

    @property
    def subject_ok(self) -> NDArray[np.bool_]:
        """Students × subjects: whether the subject's floor (its merged group's, if any) is met."""
        out = np.zeros(self.points.shape, dtype=bool)
        for g, members in enumerate(self.frame.groups):
            out[:, list(members)] = self.group_ok[:, g : g + 1]
        return out


def grade(blueprint: Blueprint, template: Report, questions: Sequence[Question], sheets: Sheets,
          grader: Grader) -> Graded:
    """Grade every sheet in ``sheets`` on ``questions`` (the bank) exactly as ``score`` grades one."""
    frame = PassFrame.from_report(template)
    by_id = {q.id: j for j, q in enumerate(questions)}
    graded = tuple(questions[by_id[i.id]] for i in template.items)
    columns = np.array([by_id[q.id] for q in graded], dtype=np.intp)
    subject_index = {n: s for s, n in enumerate(frame.subjects)}
    subject = np.array([subject_index[i.subject] for i in template.items], dtype=np.intp)
    units = np.array([int(i.points * frame.unit) for i in template.items], dtype=np.int64)
    flag = blueprint.blank_scores_on_all_accepted
    can_score = np.array([grader(q, (min(q.accepted),), blank_scores_on_all_accepted=flag) == "correct"
                          for q in graded], dtype=bool)
    codes = sheets.codes[:, columns] if len(graded) else np.zeros((len(sheets.students), 0), np.int32)
    status = _statuses(graded, codes, sheets.multis, grader, flag)
    n, k = len(sheets.students), len(frame.subjects)
    points = np.zeros((n, k), dtype=np.int64)
    for s in range(k):
        cols = np.flatnonzero(subject == s)
        points[:, s] = (status[:, cols] == CORRECT).astype(np.int64) @ units[cols]
    group_ok = np.zeros((n, len(frame.groups)), dtype=bool)
    for g, members in enumerate(frame.groups):
        group_ok[:, g] = points[:, list(members)].sum(axis=1) >= frame.group_floor[g]
    measure = points @ np.array(frame.weights, dtype=np.int64)
    total_ok = measure >= frame.total_line
    eligible = total_ok & group_ok.all(axis=1)
    passed = eligible if frame.decides else np.zeros(n, dtype=bool)
    out = Graded(template=template, frame=frame, questions=graded, columns=columns, subject=subject, units=units,
                 can_score=can_score, codes=codes, status=status, points=points, group_ok=group_ok,
                 measure=measure, total_ok=total_ok, passed=passed, eligible=eligible,
                 to_pass=np.zeros(n, dtype=np.int64), to_pass_by=np.zeros((n, k), dtype=np.int64))
    _fill_to_pass(out)
    return out


@dataclass(frozen=True)
class Counts:
    """What each student's report counts besides subject points: a subject's answered, correct and
    double-marked items, and the points per 교시 (``score``'s tallies, for every student at once)."""

    answered: NDArray[np.int64]
    """Students × subjects (frame order)."""
    correct: NDArray[np.int64]
    multiple: NDArray[np.int64]
    items: tuple[int, ...]
    """Graded items per subject."""
    sessions: tuple[int, ...]
    """The 교시 items count toward, ascending."""
    session_points: NDArray[np.int64]
    """Students × sessions, in frame units."""
    session_max: tuple[int, ...]
    """Frame units per session."""


def counts(g: Graded, item_sessions: Sequence[int | None]) -> Counts:
    """The tallies of every student, given the 교시 of each graded item (None: it counts toward none)."""
    n_items, k = len(g.questions), len(g.frame.subjects)
    by_subject = np.zeros((n_items, k), dtype=np.int64)
    by_subject[np.arange(n_items), g.subject] = 1
    sessions = tuple(sorted({s for s in item_sessions if s is not None}))
    by_session = np.zeros((n_items, len(sessions)), dtype=np.int64)
    for j, s in enumerate(item_sessions):
        if s is not None:
            by_session[j, sessions.index(s)] = g.units[j]
    scored = (g.status == CORRECT).astype(np.int64)
    return Counts(answered=(g.codes != 0).astype(np.int64) @ by_subject, correct=scored @ by_subject,
                  multiple=(g.status == MULTIPLE).astype(np.int64) @ by_subject,
                  items=tuple(int(c) for c in by_subject.sum(axis=0).tolist()), sessions=sessions,
                  session_points=scored @ by_session,
                  session_max=tuple(int(u) for u in by_session.sum(axis=0).tolist()))


def _statuses(graded: Sequence[Question], codes: NDArray[np.int32], multis: Sequence[tuple[int, ...]],
              grader: Grader, flag: bool) -> NDArray[np.int8]:
    """Each cell's status, asking the grader once per item and distinct mark."""
    rank = {name: i for i, name in enumerate(STATUS_CODES)}
    # a mark may name a choice the bank lost in extraction (the blueprint's range): the codes say how far,
    # each column's highest mark taken in one pass (0 for a column with no students or only blanks)
    highest = codes.max(axis=0, initial=0).tolist()
    widest = max(max((len(q.choices) for q in graded), default=0), max(highest, default=0))
    table = np.zeros((len(graded), widest + 1), dtype=np.int8)
    for i, q in enumerate(graded):
        top = max(len(q.choices), highest[i])
        for c in range(top + 1):
            table[i, c] = rank[grader(q, (c,) if c else (), blank_scores_on_all_accepted=flag)]
    status = np.take_along_axis(table.T, np.maximum(codes, 0), axis=0) if len(graded) else codes.astype(np.int8)
    for col in np.flatnonzero((codes < 0).any(axis=0)).tolist():
        column = codes[:, col]
        for code in np.unique(column[column < 0]).tolist():
            marks = multis[-code - 1]
            status[column == code, col] = rank[grader(graded[col], marks, blank_scores_on_all_accepted=flag)]
    return status.astype(np.int8)


def _fill_to_pass(g: Graded) -> None:
    """The fewest further correct answers for every failing student: :mod:`examqa.exams.topass`, vectorised.

    Follows :func:`examqa.exams.topass.fewest_to_pass` step for step, ties included; a merged group whose
    subjects weigh differently on the total line (the mean basis only) falls back to it per student.
    """
    if not g.frame.counts:  # a part of a larger exam: nothing here decides, so there is nothing to count
        g.to_pass[:] = -1
        return
    failing = np.flatnonzero(~g.eligible)
    if not len(failing):
        return
    frame = g.frame
    biggest = sum(w * m for w, m in zip(frame.weights, frame.max_units, strict=True))
    if not all(frame.uniform(group) for group in frame.groups) or biggest >= 1 << 58:
        for row in failing.tolist():
            _one_by_one(g, row)
        return
    for start in range(0, len(failing), _CHUNK):
        rows = failing[start : start + _CHUNK]
        _block(g, rows)


def _gains(g: Graded, rows: NDArray[np.intp]) -> NDArray[np.int64]:
    """Points each item could still add (−1: it scored already, or the grader never scores it)."""
    open_ = (g.status[rows] != CORRECT) & g.can_score[None, :]
    return np.where(open_, g.units[None, :], -1)


def _one_by_one(g: Graded, row: int) -> None:
    gains = _gains(g, np.array([row]))[0]
    per_subject = [[int(u) for u in gains[g.subject == s] if u >= 0] for s in range(len(g.frame.subjects))]
    counts = fewest_to_pass(g.frame, [int(p) for p in g.points[row]], per_subject)
    if counts is None:
        g.to_pass[row] = -1
    else:
        g.to_pass[row] = sum(counts)
        g.to_pass_by[row] = counts


def _block(g: Graded, rows: NDArray[np.intp]) -> None:
    frame = g.frame
    gains = _gains(g, rows)
    n = len(rows)
    best = np.zeros((n, 1), dtype=np.int64)
    args: list[NDArray[np.int16]] = []
    splits: list[NDArray[np.int16]] = []
    for gi, members in enumerate(frame.groups):
        m = len(members)
        cols = np.flatnonzero(np.isin(g.subject, members))
        local = np.searchsorted(np.array(members), g.subject[cols])
        # highest points first; equal points: the subject listed first (a larger key sorts first)
        key = np.where(gains[:, cols] >= 0, gains[:, cols] * m + (m - 1 - local)[None, :], -1)
        key = -np.sort(-key, axis=1)
        valid = key >= 0
        prefix = np.zeros((n, len(cols) + 1), dtype=np.int64)
        np.cumsum(np.where(valid, key // m, 0), axis=1, out=prefix[:, 1:])
        taken = np.where(valid, m - 1 - key % m, -1)
        split = np.zeros((n, len(cols) + 1, m), dtype=np.int16)
        for j in range(m):
            np.cumsum(taken == j, axis=1, out=split[:, 1:, j])
        splits.append(split)
        need = frame.group_floor[gi] - g.points[rows][:, list(members)].sum(axis=1)
        available = valid.sum(axis=1)
        usable = (prefix >= need[:, None]) & (np.arange(len(cols) + 1)[None, :] <= available[:, None])
        table = np.where(usable, frame.weights[members[0]] * prefix, _NEG)
        width = best.shape[1]
        combined = np.full((n, width + len(cols)), _NEG, dtype=np.int64)
        arg = np.zeros(combined.shape, dtype=np.int16)
        for b in range(len(cols) + 1):
            candidate = best + table[:, b : b + 1]
            window = combined[:, b : b + width]
            better = candidate > window  # strictly: ties keep the smaller b, as fewest_to_pass does
            np.copyto(window, candidate, where=better)
            np.copyto(arg[:, b : b + width], np.int16(b), where=better)
        best = np.where(combined < 0, _NEG, combined)
        args.append(arg)
    need_total = frame.total_line - g.measure[rows]
    hit = (best >= 0) & (best >= need_total[:, None])
    found = np.asarray(hit.any(axis=1), dtype=bool)
    count = np.where(found, hit.argmax(axis=1), 0)
    g.to_pass[rows] = np.where(found, count, -1)
    per_subject = np.zeros((n, len(frame.subjects)), dtype=np.int64)
    everyone = np.arange(n)
    for gi in range(len(frame.groups) - 1, -1, -1):
        took = args[gi][everyone, count].astype(np.intp)
        for position, s in enumerate(frame.groups[gi]):
            per_subject[:, s] = splits[gi][everyone, took, position]
        count = count - took
    g.to_pass_by[rows] = np.where(found[:, None], per_subject, 0)
