"""Placing a model run in a cohort: where its subject scores and its total fall among the students'."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from examqa.cohort._grade import Graded
from examqa.cohort._models import Placement, SubjectPlacement
from examqa.cohort._stats import measure_scale
from examqa.errors import InputError
from examqa.exams.report import Report
from examqa.exams.scoring import format_points


def load_run_report(run: Path | str) -> tuple[Report, str]:
    """The report of a run directory (``RUN/report.json``) or of a report JSON file, and where it came from."""
    path = Path(run)
    file = path / "report.json" if path.is_dir() else path
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the run's report: {exc.strerror}", path=file,
                         hint="give a run directory (with report.json) or a report JSON file") from exc
    try:
        return Report.model_validate_json(text), str(path)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"not an examqa report ({where}: {first['msg']})", path=file,
                         hint="give a run directory written by `examqa grade --model … --out RUN`") from exc


def percentile(values: NDArray[np.int64], value: int) -> float:
    """Share of ``values`` below ``value``, ties counting half, in percent (mid-rank)."""
    if not len(values):
        return 0.0
    below = int((values < value).sum())
    equal = int((values == value).sum())
    return round(100.0 * (below + equal / 2) / len(values), 4)


def _units(points: Fraction, unit: int, subject: str, source: str) -> int:
    """Points in the cohort's units, exactly (110/3 points at 3 units a point are 110 units, not 109)."""
    units = points * unit
    if units.denominator != 1:
        raise InputError(f"{subject}: the run's {format_points(points)} points are not a whole number of the "
                         f"cohort's 1/{unit} point units", path=source,
                         hint="place a run scored on the same paper, with the same item points")
    return units.numerator


def place(g: Graded, run: Report, source: str) -> Placement:
    """Place ``run`` (a model's report on the same paper) among the graded students."""
    t = g.template
    if run.exam != t.exam:
        raise InputError(f"the run sat {run.exam}, the cohort {t.exam}", path=source,
                         hint="place a run of the same exam and paper")
    if tuple(run.electives) != tuple(t.electives):
        raise InputError(f"the run was graded on the elective {', '.join(run.electives) or 'none'}, the cohort on "
                         f"{', '.join(t.electives) or 'none'}", path=source,
                         hint="grade the cohort with --elective set to the run's, or rerun the model with the "
                              "cohort's --elective")
    paper = {q.id for q in g.questions}
    answered = {i.id for i in run.items}
    if answered != paper:
        extra, missing = len(answered - paper), len(paper - answered)
        raise InputError(f"the run graded a different paper ({extra} item(s) not in this bank, {missing} of the "
                         "bank's not in the run)", path=source, hint="run the model on the bank the cohort sat")
    frame = g.frame
    by_name = {s.name: s for s in run.subjects}
    units = [_units(by_name[name].points, frame.unit, name, source) for name in frame.subjects]
    measure = sum(w * u for w, u in zip(frame.weights, units, strict=True))
    subjects = tuple(
        SubjectPlacement(name=name, points=by_name[name].points, percent=by_name[name].percent,
                         percentile=percentile(g.points[:, s], units[s]))
        for s, name in enumerate(frame.subjects))
    return Placement(run=source, model=run.run.model if run.run else None, passed=run.passed,
                     total_percent=round(measure * measure_scale(g), 4),
                     percentile=percentile(g.measure, measure), rank=1 + int((g.measure > measure).sum()),
                     subjects=subjects)
