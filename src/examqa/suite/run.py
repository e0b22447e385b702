"""Several exams × both modes of a hybrid model in one call: ``evaluate_suite`` and ``aevaluate_suite``.

The suite is a set of ordinary runs, one per (exam, mode), each in its own directory and each
resumable on its own::

    OUT/suite.json                      what the suite is (exams, modes, bank, options)
    OUT/<exam>/<mode>/                  a run directory (docs/runs.md): manifest, samples, reports
    OUT/suite-report.json/.md/.html     the table: exam × mode → verdict, mean, weakest subject …

A bank may hold several exams' rows (a KMMLU-Pro file, a folder per exam): it is routed once; rows of
licences no installed plugin provides are counted and named in the report. With both modes, each
exam's two runs are compared (:func:`examqa.comparison.runs.compare`, non-reasoning as the baseline): per-subject
deltas, verdicts that flip, items right in one mode only, an exact McNemar test, and the price of
reasoning (extra tokens per extra correct answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from examqa._version import __version__
from examqa.backends.base import Backend, in_running_loop
from examqa.banks import Bank, RoutedBank, bank_for_exam, route_bank
from examqa.comparison.models import PairComparison
from examqa.errors import InputError
from examqa.exams.plugins import registry
from examqa.exams.report import Decision, Report
from examqa.runs.options import Mode, SuiteOptions, validated
from examqa.runs.runner import (
    RunPlan,
    RunProgress,
    arun_planned,
    check_out_dir,
    prepare_plan,
    run_planned,
)
from examqa.runs.store import RunStore, write_failed

SUITE_SCHEMA_VERSION = 1
SUITE_FILE = "suite.json"
MODES: tuple[Mode, ...] = ("reasoning", "non-reasoning")


class ModeReport(Report):
    """One (exam, mode) of a suite: the exam's full report, and the mode it ran in."""

    mode: Mode


class SuiteRow(BaseModel):
    """One line of the suite table."""

    model_config = ConfigDict(frozen=True)

    exam: str
    exam_name: str
    mode: Mode
    passed: bool = Field(description="A decided PASS under the law.")
    decision: Decision = Field(default="fail", description="The law's decision (pass, fail, cut_unpublished, "
                                                           "part_only): see Report.decision.")
    paper_passed: bool | None = Field(default=None, description="The KMMLU-Pro paper's verdict under its own rule "
                                                                "(--protocol kmmlu-pro); None otherwise.")
    complete: bool = Field(description="Every item has all its samples graded (nothing for --resume to do).")
    percent: float = Field(description="The total as the pass rule reads it (points %, or the mean).")
    weakest: str | None = Field(description="The subject (or merged 과락 group) closest to its floor.")
    weakest_margin: float | None = Field(description="Its percent minus the floor percent (negative: 과락).")
    pass_probability: float | None
    no_answer_rate: float
    truncated_rate: float
    completion_tokens: int
    cost: float | None = None
    currency: str | None = None
    out: str = Field(description="The sub-run directory.")


class SuiteHeadline(BaseModel):
    """One mode's headline, as the KMMLU-Pro paper's table reads: passes under the law and under the paper's rule."""

    model_config = ConfigDict(frozen=True)

    mode: Mode
    exams: int
    law: int = Field(description="Exams passed under the law (decided passes).")
    undecided: dict[str, Decision] = Field(default_factory=dict, description="Exams the law's verdict is not "
                                                                             "decided on, and why.")
    paper: int | None = Field(default=None, description="Exams passed under the paper's own rule (kmmlu-pro).")
    disagree: dict[str, str] = Field(default_factory=dict, description="Exams where the law's verdict and the "
                                                                       "paper's differ: 'law FAIL, paper PASS'.")
    text: str


class SuiteReport(BaseModel):
    """A suite: every (exam, mode) report, the table, and each exam's two modes compared."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = SUITE_SCHEMA_VERSION
    model: str
    backend: str
    protocol: str
    bank: str | None
    exams: tuple[str, ...]
    modes: tuple[Mode, ...]
    results: tuple[ModeReport, ...] = Field(description="One full report per (exam, mode), with its mode.")
    rows: tuple[SuiteRow, ...]
    passes: dict[str, str] = Field(description="Per mode: 'passes k of n', and under --protocol kmmlu-pro "
                                               "'passes k of n (law) / m of n (paper's rule)'.")
    headlines: dict[str, SuiteHeadline] = Field(default_factory=dict, description="Per mode: the counts behind "
                                                                                  "passes, and where they differ.")
    unrouted: dict[str, int] = Field(default_factory=dict,
                                     description="Rows of licences no installed plugin provides, by name.")
    not_selected: dict[str, int] = Field(default_factory=dict,
                                         description="Rows of installed exams not asked for, by exam.")
    mode_comparisons: dict[str, PairComparison] = Field(
        default_factory=dict, description="Per exam run in both modes: reasoning against non-reasoning.")
    incomplete: int = Field(0, description="Sub-runs with samples still to grade (--resume finishes them).")
    out: str

    def to_markdown(self) -> str:
        """The suite as Markdown."""
        from examqa.reports import suite_markdown

        return suite_markdown(self)

    def to_html(self) -> str:
        """The suite as a self-contained HTML page."""
        from examqa.reports import suite_html

        return suite_html(self)


# ------------------------------------------------------------------------------------ planning


def resolve_exams(exams: str | Sequence[str]) -> list[str] | None:
    """``"all"`` → None (every installed exam the bank holds); ``"a,b"`` or a list → the ids, checked."""
    if isinstance(exams, str):
        if exams.strip() == "all":
            return None
        exams = [e.strip() for e in exams.split(",") if e.strip()]
    ids = list(dict.fromkeys(exams))
    if not ids:
        raise InputError("no exams named", hint="give exam ids separated by commas, or all")
    known = registry()
    for exam in ids:
        if exam not in known:
            from examqa.errors import UnknownExamError

            raise UnknownExamError(f"unknown exam {exam!r}; known exams: {', '.join(sorted(known))} "
                                   "(see `examqa exams`)")
    return ids


def _banks(exams: list[str] | None, bank: Path | str | Bank,
           fmt: str | None) -> tuple[dict[str, Bank], RoutedBank | None]:
    if isinstance(bank, Bank):
        if exams is None or len(exams) != 1:
            raise InputError("a suite of several exams needs a bank path (a multi-exam file or folder)")
        return {exams[0]: bank}, None
    if exams is not None and len(exams) == 1:
        one, routed = bank_for_exam(bank, exams[0], fmt)
        return {exams[0]: one}, routed
    routed = route_bank(bank, exams, fmt)
    order = list(registry())
    return {e: routed.banks[e] for e in sorted(routed.banks, key=order.index)}, routed


def _suite_options(options: dict[str, Any]) -> SuiteOptions:
    opts: SuiteOptions = validated(SuiteOptions, options)
    if "modes" in options and "thinking" in options and tuple(opts.modes) != (opts.mode,):
        raise InputError(f"thinking={opts.thinking} contradicts modes={tuple(opts.modes)}",
                         hint="name the modes alone: modes=('non-reasoning',) is thinking=False "
                              "(on the command line: --modes, not with --no-thinking)")
    if "modes" not in options and "thinking" in options:  # --no-thinking alone: that one mode
        opts = opts.model_copy(update={"modes": ("reasoning",) if opts.thinking else ("non-reasoning",)})
    if opts.resume and opts.out is None:
        raise InputError("resume needs out (the suite directory to finish)")
    from examqa.prompts.protocols import get_protocol

    get_protocol(opts.protocol)  # an unknown protocol is refused before anything is written
    return opts


def _check_electives(opts: SuiteOptions, exams: Sequence[str]) -> None:
    """Every name in --elective is an elective of some exam of the suite (a typo is an error, not ignored)."""
    if opts.elective is None:
        return
    from examqa.exams.scoring import electives_of

    names = [n.strip() for n in opts.elective.split(",") if n.strip()]
    known = registry()
    for name in names:
        if not any(electives_of(known[e].blueprint, name) for e in exams):
            raise InputError(f"--elective {name!r} is an elective of none of the exams run ({', '.join(exams)})",
                             hint="see `examqa exams --detail` for each exam's electives")


def _sub_options(opts: SuiteOptions, out: Path, mode: Mode) -> dict[str, Any]:
    base = opts.model_dump(exclude={"modes", "out", "resume", "thinking"}, exclude_unset=True)
    if opts.elective is not None:  # one --elective list for every exam: each takes the names that are its own
        from examqa.exams.scoring import electives_of

        mine = electives_of(registry()[out.name].blueprint, opts.elective)
        base.pop("elective")
        if mine:
            base["elective"] = ",".join(mine)
    sub = out / mode
    resume = opts.resume and (sub / "manifest.json").exists()
    return {**base, "thinking": mode == "reasoning", "out": sub, "resume": resume}


def _suite_out(opts: SuiteOptions, model: str) -> Path:
    return opts.out or Path("runs") / f"suite-{Path(model).name or 'model'}-{datetime.now(UTC):%Y%m%d-%H%M%S}"


def _prepare_out(opts: SuiteOptions, out: Path, model: str, exams: Sequence[str], bank: Path | str | Bank) -> Path:
    if out.exists() and any(out.iterdir()) and not opts.resume:
        raise InputError(f"suite directory {out} already holds runs",
                         hint="add --resume to finish it, or choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_failed(out, exc, "resume it") from exc
    source = bank.source if isinstance(bank, Bank) else Path(bank)
    previous: dict[str, Any] = {}
    if (out / SUITE_FILE).is_file():
        previous = json.loads((out / SUITE_FILE).read_text(encoding="utf-8"))
    record = {
        "schema_version": SUITE_SCHEMA_VERSION, "examqa_version": __version__,
        "created": previous.get("created", datetime.now(UTC).isoformat(timespec="seconds")),
        "exams": list(dict.fromkeys([*previous.get("exams", []), *exams])),
        "modes": list(dict.fromkeys([*previous.get("modes", []), *opts.modes])),
        "bank": str(Path(source).resolve()) if source is not None else None,
        "model": model,
    }
    _write(out, SUITE_FILE, json.dumps(record, ensure_ascii=False, indent=2))
    return out


def _write(out: Path, name: str, text: str) -> None:
    """A suite file, whole: a temporary file renamed over it; an OSError names the file (exit 2)."""
    tmp = out / f".{name}.tmp"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out / name)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise write_failed(out / name, exc, "resume it") from exc


# ------------------------------------------------------------------------------------ running


def _plan_all(banks: dict[str, Bank], opts: SuiteOptions, backend: Backend, out: Path) -> list[tuple[Mode, RunPlan]]:
    """Every (exam, mode) planned before anything is written or generated: one bad run stops them all."""
    return [(mode, prepare_plan(exam, exam_bank, backend, _sub_options(opts, out / exam, mode)))
            for exam, exam_bank in banks.items() for mode in opts.modes]


def _check_all(plans: list[tuple[Mode, RunPlan]]) -> list[RunStore | None]:
    """Every sub-run's directory checked (new, or a resume that matches) before any generates; a resume is
    held (its lock) from its check on, and let go of if a later check fails."""
    stores: list[RunStore | None] = []
    try:
        for _, plan in plans:
            stores.append(check_out_dir(plan))
    except BaseException:
        for store in stores:
            if store is not None:
                store.close()
        raise
    return stores


def evaluate_suite(exams: str | Sequence[str], bank: Path | str | Bank, backend: Backend, *,
                   progress: RunProgress | None = None, **options: Any) -> SuiteReport:
    """Run ``backend``'s model on every exam in ``exams`` (ids, ``"a,b"`` or ``"all"``) in every mode.

    ``options`` are :func:`examqa.evaluate`'s plus ``modes`` (default ``("reasoning",)``). Each
    (exam, mode) is an ordinary run in ``out/<exam>/<mode>/``, run one after another in this thread;
    ``resume=True`` finishes whatever is left of every one of them. Every run is planned and its
    directory checked before the first generates. Returns the suite report, also written to
    ``out/suite-report.json/.md/.html``.
    """
    opts, banks, routed, out, plans = _plan_suite(exams, bank, backend, options)
    backend.open()  # a dead server or a missing model fails here, before the suite directory exists
    _prepare_out(opts, out, backend.info.model, list(banks), bank)
    stores = _check_all(plans)
    # the fields as they are (not through model_dump): points stay exact Fractions
    results = [ModeReport(**dict(_run_one(plan, store, backend, progress)), mode=mode)
               for (mode, plan), store in zip(plans, stores, strict=True)]
    return _finish(results, banks, routed, opts, backend, out, bank)


def _plan_suite(exams: str | Sequence[str], bank: Path | str | Bank, backend: Backend, options: dict[str, Any],
                ) -> tuple[SuiteOptions, dict[str, Bank], RoutedBank | None, Path, list[tuple[Mode, RunPlan]]]:
    """Everything a suite checks before opening the backend: options, the bank routed to its exams (one
    paper each, electives known), the output folder's name and every (exam, mode) planned."""
    opts = _suite_options(options)
    banks, routed = _banks(resolve_exams(exams), bank, opts.bank_format)
    _check_electives(opts, list(banks))
    out = _suite_out(opts, backend.info.model)
    return opts, banks, routed, out, _plan_all(banks, opts, backend, out)


def _run_one(plan: RunPlan, store: RunStore | None, backend: Backend, progress: RunProgress | None) -> Report:
    """One planned run from sync code: in this thread, or (inside a running loop) on a helper thread's loop."""
    if not in_running_loop():
        return run_planned(plan, store, backend, progress)
    from examqa.backends.base import run_sync

    report: Report = run_sync(lambda: arun_planned(plan, store, backend, progress))
    return report


async def aevaluate_suite(exams: str | Sequence[str], bank: Path | str | Bank, backend: Backend, *,
                          progress: RunProgress | None = None, **options: Any) -> SuiteReport:
    """:func:`evaluate_suite` on the running event loop, every (exam, mode) run at once.

    The runs share the backend's concurrency budget, so a server stays busy across the ends of runs.
    Every run is planned and its directory checked before any generates. The runs are one task group:
    if one fails, the others are cancelled (each keeps its samples and writes its partial report) and
    the first failure is raised, once nothing is left generating; cancelling the suite does the same.
    """
    opts, banks, routed, out, plans = _plan_suite(exams, bank, backend, options)
    await backend.aopen()
    _prepare_out(opts, out, backend.info.model, list(banks), bank)
    stores = _check_all(plans)
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(arun_planned(plan, store, backend, progress),
                                       name=f"examqa-suite {plan.entry.blueprint.id} {mode}")
                     for (mode, plan), store in zip(plans, stores, strict=True)]
    except BaseExceptionGroup as failed:
        raise _first_failure(failed) from None
    results = [ModeReport(**dict(task.result()), mode=mode)
               for task, (mode, _) in zip(tasks, plans, strict=True)]
    return _finish(results, banks, routed, opts, backend, out, bank)


def _first_failure(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error to raise for a failed task group: its first, so a caller sees the error it knows
    (an ExamqaError stays one: the CLI prints it and exits 2), with the others noted on it."""
    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        else:
            leaves.append(exc)

    walk(group)
    first = leaves[0]
    for other in leaves[1:]:
        first.add_note(f"also failed: {type(other).__name__}: {other}")
    return first


# ------------------------------------------------------------------------------------ the report


def _weakest(report: Report) -> tuple[str | None, float | None]:
    """The subject or merged group with the least margin over the floor, and that margin."""
    floor = float(report.total.floor_percent)
    units = [(g.name, g.percent) for g in report.groups]
    grouped = {s for g in report.groups for s in g.subjects}
    units += [(s.name, s.percent) for s in report.subjects if s.name not in grouped]
    if not units:
        return None, None
    name, percent = min(units, key=lambda u: u[1])
    return name, round(percent - floor, 4)


def _row(report: ModeReport, out: Path) -> SuiteRow:
    run = report.run
    weakest, margin = _weakest(report)
    return SuiteRow(
        exam=report.exam, exam_name=report.exam_name, mode=report.mode, passed=report.passed,
        decision=report.decision, paper_passed=report.paper.passed if report.paper is not None else None,
        complete=run is None or run.missing == 0, percent=report.total.percent, weakest=weakest,
        weakest_margin=margin, pass_probability=run.pass_probability if run else None,
        no_answer_rate=run.no_answer_rate if run else 0.0, truncated_rate=run.truncated_rate if run else 0.0,
        completion_tokens=run.completion_tokens if run else 0, cost=run.cost if run else None,
        currency=run.currency if run else None, out=str(out / report.exam / report.mode),
    )


_UNDECIDED = {"cut_unpublished": "cut not published", "part_only": "part of a larger exam"}


def headline(mode: Mode, rows: Sequence[SuiteRow]) -> SuiteHeadline:
    """``passes N of n`` under the law; with the paper's verdicts, ``… (law) / M of n (paper's rule)`` and the
    exams where the two differ (an undecided law verdict differs from a paper PASS)."""
    n = len(rows)
    law = sum(r.passed for r in rows)
    undecided: dict[str, Decision] = {r.exam: r.decision for r in rows if r.decision in _UNDECIDED}
    papers = [r.paper_passed for r in rows]
    text = f"passes {law} of {n}"
    if all(p is None for p in papers):
        if undecided:
            text += " (undecided: " + ", ".join(f"{e} — {_UNDECIDED[d]}" for e, d in undecided.items()) + ")"
        return SuiteHeadline(mode=mode, exams=n, law=law, undecided=undecided, text=text)
    paper = sum(bool(p) for p in papers)
    word = {"pass": "PASS", "fail": "FAIL", "cut_unpublished": "undecided (cut not published)",
            "part_only": "undecided (part of a larger exam)"}
    disagree = {r.exam: f"law {word[r.decision]}, paper {'PASS' if r.paper_passed else 'FAIL'}" for r in rows
                if r.paper_passed is not None and r.passed != r.paper_passed}
    text = f"passes {law} of {n} (law) / {paper} of {n} (paper's rule)"
    if disagree:
        text += "; they differ on " + ", ".join(f"{e} ({why})" for e, why in disagree.items())
    return SuiteHeadline(mode=mode, exams=n, law=law, undecided=undecided, paper=paper, disagree=disagree, text=text)


def _finish(results: list[ModeReport], banks: dict[str, Bank], routed: RoutedBank | None, opts: SuiteOptions,
            backend: Backend, out: Path, bank: Path | str | Bank) -> SuiteReport:
    where = str(bank) if not isinstance(bank, Bank) else (str(bank.source) if bank.source else None)
    return _assemble(results, exams=list(banks), modes=opts.modes, protocol=opts.protocol, model=backend.info.model,
                     backend=backend.info.name, unrouted=dict(routed.unrouted) if routed else {},
                     not_selected=dict(routed.not_selected) if routed else {}, out=out, bank=where)


def _assemble(results: list[ModeReport], *, exams: Sequence[str], modes: Sequence[Mode], protocol: str, model: str,
              backend: str, unrouted: dict[str, int], not_selected: dict[str, int], out: Path, bank: str | None,
              never_started: int = 0) -> SuiteReport:
    """The suite report from its runs' reports, written to ``out/suite-report.json/.md/.html``."""
    from examqa.comparison.runs import compare

    rows = tuple(_row(r, out) for r in results)
    headlines = {mode: headline(mode, [r for r in rows if r.mode == mode]) for mode in modes}
    passes = {mode: h.text for mode, h in headlines.items()}
    comparisons: dict[str, PairComparison] = {}
    if set(MODES) <= set(modes):
        for exam in exams:
            if all((out / exam / mode / "manifest.json").is_file() for mode in MODES):
                pair = compare([out / exam / "non-reasoning", out / exam / "reasoning"],
                               labels=["non-reasoning", "reasoning"])
                comparisons[exam] = pair.pairs[0]
    report = SuiteReport(
        model=model, backend=backend, protocol=protocol, bank=bank, exams=tuple(exams), modes=tuple(modes),
        results=tuple(results), rows=rows, passes=passes, headlines=headlines, unrouted=unrouted,
        not_selected=not_selected, mode_comparisons=comparisons,
        incomplete=sum(not r.complete for r in rows) + never_started, out=str(out),
    )
    for name, text in (("suite-report.json", report.model_dump_json(indent=2)),
                       ("suite-report.md", report.to_markdown()), ("suite-report.html", report.to_html())):
        _write(out, name, text)
    return report


def is_suite(path: Path | str) -> bool:
    """Whether ``path`` is a suite directory (the ``out`` of :func:`evaluate_suite`)."""
    return (Path(path) / SUITE_FILE).is_file()


def report_suite(out: Path | str) -> SuiteReport:
    """Re-render a stored suite (``examqa report SUITE_DIR``): each run's reports from its samples (as
    :func:`examqa.report_run` does), then the suite's table and comparisons; returns the suite report.

    A run the suite never started (it was stopped first) counts in ``incomplete``, like a run with samples
    still to grade; ``resume=True`` on the original call finishes both.
    """
    from examqa.runs.runner import report_run

    root = Path(out)
    try:
        record = json.loads((root / SUITE_FILE).read_text(encoding="utf-8"))
        exams, modes = list(record["exams"]), list(record["modes"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{root} is not a readable suite directory ({SUITE_FILE}: {exc})",
                         hint="pass the folder given to --out of `examqa grade EXAMS … --modes …`") from exc
    previous: dict[str, Any] = {}
    if (root / "suite-report.json").is_file():
        try:
            previous = json.loads((root / "suite-report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = {}
    results: list[ModeReport] = []
    never_started = 0
    backend, protocol = str(previous.get("backend", "")), str(previous.get("protocol", ""))
    for exam in exams:
        for mode in modes:
            sub = root / exam / mode
            if not (sub / "manifest.json").is_file():
                never_started += 1
                continue
            report = report_run(sub)  # a reader: never takes a run's lock, never trims a line being written
            if report.run is not None:
                backend, protocol = backend or report.run.backend, protocol or report.run.protocol
            results.append(ModeReport(**dict(report), mode=mode))
    if not results:
        raise InputError(f"{root}: the suite has no runs yet", hint="finish it with --resume --out " + str(root))
    return _assemble(results, exams=[e for e in exams if any(r.exam == e for r in results)], modes=modes,
                     protocol=protocol or "examqa", model=str(record.get("model", results[0].run.model
                                                                        if results[0].run else "")),
                     backend=backend, unrouted=dict(previous.get("unrouted") or {}),
                     not_selected=dict(previous.get("not_selected") or {}), out=root, bank=record.get("bank"),
                     never_started=never_started)
