"""``grade_cohort``: many sheets in one call, graded exactly as one, with the cohort's statistics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from examqa.banks import Bank, SeveralPapersError, bank_for_exam
from examqa.cohort._models import CohortSummary
from examqa.cohort._read import cohort_electives
from examqa.cohort._result import Cohort
from examqa.errors import InputError
from examqa.exams.plugins import ExamEntry, get_exam, get_grader
from examqa.exams.report import Report
from examqa.exams.scoring import mark_choices, score
from examqa.sheets import paper_for_answers

FEW_STUDENTS = 30
"""Below this, item statistics and flags are too noisy to act on; the summary says so."""


def _answered(sheets: Any, bank: Bank) -> list[str]:
    """The item ids a cohort answers (for the message naming its paper); ``[]`` when it cannot tell cheaply."""
    import numpy as np

    from examqa.cohort._read import is_dataframe, read_cohort_file

    if isinstance(sheets, str | Path):
        try:
            data = read_cohort_file(Path(sheets), bank, skip_bad=True)
        except InputError:
            return []
        used = [bool(x) for x in np.any(data.codes != 0, axis=0).tolist()]
        return [q.id for q, hit in zip(bank.questions, used, strict=True) if hit]
    if is_dataframe(sheets):
        return [str(c) for c in sheets.columns]
    if isinstance(sheets, Sequence):  # never consume a one-shot iterator for a message
        return list({str(k) for pair in sheets if isinstance(pair, Sequence) and len(pair) == 2
                     and isinstance(pair[1], Mapping) for k in pair[1]})
    return []


def grade_cohort(exam: str | ExamEntry, bank: Bank | Path | str, sheets: Path | str | Any, *,
                 edition: str | None = None, grader: str | None = None, bank_format: str | None = None,
                 skip_bad: bool = False, run: Path | str | Report | None = None,
                 paper: str | int | None = None, elective: str | Sequence[str] | None = None,
                 year: int | None = None) -> Cohort:
    """Grade a whole cohort's sheets on ``bank`` under ``exam``'s pass rule, with item statistics.

    ``sheets`` is a path — a wide CSV (``student``, then one column per item id), a long CSV
    (``student,id,answer``) or a folder of one-sheet CSVs named after the students, told apart by
    content — or the caller's own rows: an iterable of ``(student, {id: mark})`` pairs (a mark is a
    choice, several choices, cell text such as ``"③"`` or ``"2;4"``, or None), or a pandas DataFrame
    in either layout. Every sheet is graded as ``grade_sheet`` grades it alone.

    Bad input (a ragged row, an unknown item id, a student twice, a mark out of range) raises one
    :class:`~examqa.errors.InputError` naming the file, line and student; with ``skip_bad`` the good
    sheets are graded and the bad ones listed in ``summary.bad``. ``run`` (a run directory, a report
    JSON file or a :class:`Report`) is placed in the cohort: its percentile, subject by subject.
    ``edition``, ``grader`` (a name in ``examqa.graders``), ``bank_format``, ``paper`` (one paper of a
    bank that holds several), ``elective`` and ``year`` are ``grade_sheet``'s. A bank that holds several
    electives (세무사, 공인노무사) grades the class on the one its students sat: ``elective`` names it, else it
    is the one elective the sheets answer. A class whose sheets answer different electives is graded one
    elective at a time (``elective=X``): a sheet that answers another elective instead is a bad sheet then
    (listed under ``skip_bad``).
    """
    # numpy is imported here, not with examqa: grading one sheet never needs it
    from examqa.cohort._grade import grade
    from examqa.cohort._place import load_run_report, place
    from examqa.cohort._read import is_dataframe, read_cohort_file, read_cohort_rows, read_dataframe
    from examqa.cohort._stats import distributions, flags, item_stats, kr20, measure_percent

    entry = get_exam(exam) if isinstance(exam, str) else exam
    # a path may hold several exams' rows (a KMMLU-Pro file): grade this exam's, as grade_sheet does
    routed = bank if isinstance(bank, Bank) else bank_for_exam(Path(bank), entry.blueprint.id, bank_format)[0]
    try:
        loaded = paper_for_answers(routed, entry.blueprint, paper, edition, [])
    except SeveralPapersError:  # say which paper the answers belong to, when they all belong to one
        loaded = paper_for_answers(routed, entry.blueprint, paper, edition, _answered(sheets, routed))
    widths = mark_choices(entry.blueprint, loaded.questions, edition)
    if isinstance(sheets, str | Path):
        data = read_cohort_file(Path(sheets), loaded, skip_bad=skip_bad, choices=widths)
    elif is_dataframe(sheets):
        data = read_dataframe(sheets, loaded, skip_bad=skip_bad, choices=widths)
    else:
        data = read_cohort_rows(sheets, loaded, skip_bad=skip_bad, choices=widths)
    blueprint = entry.blueprint
    chosen = get_grader(grader) if grader is not None else entry.domain.grader
    data, sat = cohort_electives(blueprint, loaded.questions, data, edition, elective, skip_bad=skip_bad)
    template = score(blueprint, loaded.questions, {}, edition=edition, grader=chosen, elective=sat, year=year)
    graded = grade(blueprint, template, loaded.questions, data, chosen)
    stats = item_stats(graded)
    percent = measure_percent(graded)
    placement = None
    if run is not None:
        report, source = (run, "<report>") if isinstance(run, Report) else load_run_report(run)
        placement = place(graded, report, source)
    n = len(data.students)
    floor_ok = graded.group_ok.all(axis=1)
    total_ok = graded.total_ok
    decided = graded.frame.counts
    needs = Counter(int(k) for k in graded.to_pass[~graded.eligible].tolist()) if decided else Counter()
    notes = list(template.notes)
    if n < FEW_STUDENTS:
        notes.append(f"{n} student(s): item statistics and flags are rough below {FEW_STUDENTS}")
    if data.bad:
        notes.append(f"{len(data.bad)} sheet(s) left out as bad (listed under bad)")
    t = template
    summary = CohortSummary(
        exam=t.exam, exam_name=t.exam_name, exam_name_en=t.exam_name_en, edition=t.edition, complete=t.complete,
        basis=t.total.basis, total_percent=t.total.threshold_percent, floor_percent=t.total.floor_percent,
        students=n, passed=int(graded.passed.sum()),
        pass_rate=round(float(graded.passed.mean()), 6) if n else 0.0,
        failed_floor_only=int((~floor_ok & total_ok).sum()) if decided else 0,
        failed_total_only=int((floor_ok & ~total_ok).sum()) if decided else 0,
        failed_both=int((~floor_ok & ~total_ok).sum()) if decided else 0, to_pass=dict(sorted(needs.items())),
        undecided=n - int(graded.passed.sum()) if not decided else int((graded.eligible & ~graded.passed).sum()),
        decision_rule=t.rule_kind, year=t.year, electives=t.electives,
        mean_percent=round(float(percent.mean()), 4) if n else 0.0,
        subjects=distributions(graded), kr20=kr20(graded.correct), flags=flags(graded, stats),
        placement=placement, bad=tuple(data.bad), notes=tuple(notes), pass_rule=t.pass_rule)
    return Cohort(entry, chosen, loaded.questions, edition, data, graded, summary, stats, percent.tolist(),
                  elective=sat, year=year)
