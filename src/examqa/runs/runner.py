"""Model runs as library calls: ``evaluate`` and ``aevaluate`` — the CLI's ``grade --model`` is a shell over them.

A run goes through visible steps, each a function: :func:`plan_run` (load the exam, bank, prompts and
protocol; build the requests — nothing touches disk or the backend), :func:`check_out_dir` (refuse an
occupied directory, or check a resume against the stored configuration), opening the backend (load
the model, check the server), :func:`open_store`, generation with each sample stored the moment it is
graded (:mod:`examqa.runs.engine`), and :func:`finish_run` (summarize, write ``report.json/.md/.html``).

The sync and async calls share every step but the two that wait: opening the backend and generating.
``evaluate`` drives ``backend.generate`` in the caller's thread (so Ctrl-C stops a local model at
once), ``aevaluate`` drives ``backend.agenerate`` on the caller's event loop (no thread, no new loop).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from examqa._version import __version__
from examqa.backends.base import Backend, GenRequest, Sampling, in_running_loop
from examqa.banks import Bank, bank_for_exam, one_paper, route_notes
from examqa.errors import InputError, RunStoreError, warn
from examqa.exams.grading import Grader
from examqa.exams.models import Question
from examqa.exams.plugins import ExamEntry, get_exam, get_grader
from examqa.exams.report import Report
from examqa.exams.scoring import choose_edition, run_electives
from examqa.prompts.templates import PromptSet
from examqa.runs.engine import (
    Grading,
    Pricing,
    RunConfig,
    agenerate_and_store,
    build_requests,
    generate_and_store,
    prompts_sha256,
    rows_sha256,
    summarize,
)
from examqa.runs.options import RunOptions, SolveOptions, validated
from examqa.runs.store import RunStore, SampleRecord, writer_of


class RunProgress(Protocol):
    """Receives a run's progress: once when it starts, then once per stored sample."""

    def started(self, run: RunStarted) -> None:
        """The run is about to generate ``run.pending`` of ``run.total`` samples into ``run.out``."""
        ...

    def sample(self, record: SampleRecord) -> None:
        """One sample was graded and stored."""
        ...


@dataclass(frozen=True)
class RunStarted:
    """What a progress display needs when generation starts."""

    exam: str
    model: str
    mode: str
    out: Path
    total: int
    done: int
    correct: int

    @property
    def pending(self) -> int:
        """Samples still to generate."""
        return self.total - self.done


@dataclass(frozen=True)
class RunPlan:
    """Everything a run needs, worked out before anything is written or generated."""

    entry: ExamEntry
    bank: Bank
    """The bank as run (after ``limit``)."""
    loaded: Bank
    """The bank as loaded (its hash and path identify the run)."""
    options: RunOptions
    prompt_set: PromptSet
    grading: Grading
    config: RunConfig
    runtime: dict[str, Any]
    out: Path
    requests: list[GenRequest]
    by_key: dict[str, Question]
    pricing: Pricing | None
    grader: Grader
    notes: list[str] = field(default_factory=list)
    """Warnings for the caller (bank defects, greedy self-consistency, rows left out)."""
    report_notes: list[str] = field(default_factory=list)
    """Notes the report keeps (rows of other exams the bank held)."""


def resolve_exam(exam: str | ExamEntry) -> ExamEntry:
    """An exam by id, or the entry as given."""
    return get_exam(exam) if isinstance(exam, str) else exam


def resolve_bank(bank: Bank | Path | str, exam: str, fmt: str | None) -> tuple[Bank, Path | None, list[str]]:
    """A bank as given, or ``exam``'s rows of the bank at a path (routed when it holds several exams),
    with notes on the rows left out."""
    if isinstance(bank, Bank):
        return bank, bank.source, []
    path = Path(bank)
    loaded, routed = bank_for_exam(path, exam, fmt)
    return loaded, path, route_notes(routed)


def sampling_for(options: SolveOptions) -> Sampling:
    """The sampling a run or a solve uses: the options, with the protocol's defaults for the mode."""
    from examqa.prompts.protocols import get_protocol

    defaults = get_protocol(options.protocol).sampling_defaults(options.thinking)
    return Sampling(
        thinking=options.thinking,
        temperature=options.temperature if options.temperature is not None else float(defaults["temperature"]),
        top_p=options.top_p if options.top_p is not None else float(defaults["top_p"]),
        max_new_tokens=options.max_new_tokens, seed=options.seed, presence_penalty=options.presence_penalty,
    )


def _default_out(exam: str, model: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{exam}-{Path(model).name or 'model'}-{stamp}"


def plan_run(exam: str | ExamEntry, bank: Bank | Path | str, backend: Backend, options: RunOptions) -> RunPlan:
    """Load what a run needs and build its requests; nothing is written and the backend is not used."""
    from examqa.prompts.protocols import get_protocol

    entry = resolve_exam(exam)
    loaded, bank_path, left_out = resolve_bank(bank, entry.blueprint.id, options.bank_format)
    loaded = one_paper(loaded, entry.blueprint, options.paper, edition=options.edition)  # a verdict: one paper
    notes = list(left_out)
    if loaded.problems:
        notes.append(f"{bank_path or 'the bank'}: {len(loaded.problems)} warning(s) in the bank "
                     "(see `examqa validate`)")
    run_bank = _limited(loaded, options.limit)
    protocol = get_protocol(options.protocol)
    prompt_set = protocol.prompts(entry.domain.prompts, options.prompts, entry.domain.name)
    sampling = sampling_for(options)
    if options.samples > 1 and sampling.greedy:
        notes.append(f"--samples {options.samples} with greedy decoding (temperature 0) draws the same answer "
                     "every time; sample with a temperature above 0 for self-consistency")
    grader = get_grader(options.grader) if options.grader is not None else entry.domain.grader
    grading = Grading(sampling=sampling, template_sha256=prompt_set.sha256, grader=grader,
                      label_style=protocol.label_style, readers=dict(protocol.readers),
                      blank_scores_on_all_accepted=entry.blueprint.blank_scores_on_all_accepted)
    model = backend.info.model
    # A protocol may print the choices its own way (A)–E)); rendering and reading use the same labels.
    asked = [protocol.relabel(q) for q in run_bank.questions]
    requests, by_key = build_requests(entry.blueprint, asked, prompt_set, options.samples, sampling.seed,
                                      thinking=sampling.thinking)
    config = RunConfig(
        exam=entry.blueprint.id, edition=options.edition, bank_sha256=loaded.sha256(),
        bank_items=len(run_bank.questions), template_sha256=prompt_set.sha256, backend=backend.info.name,
        model=model, sampling=sampling, samples=options.samples,
        backend_settings=_identity_settings(backend), protocol=protocol.name, grader=options.grader,
        elective=options.elective, year=options.year,
        prompts_sha256=prompts_sha256(requests), rows_sha256=rows_sha256(run_bank.questions),
    )
    # a bad --elective fails here, before anything is generated
    run_electives(entry.blueprint, choose_edition(entry.blueprint, run_bank.questions, options.edition),
                  run_bank.questions, options.elective)
    pricing = None
    if options.price_in is not None or options.price_out is not None:
        pricing = Pricing(options.price_in or 0.0, options.price_out or 0.0, options.currency)
    runtime: dict[str, Any] = {
        "bank_path": str(bank_path.resolve()) if bank_path is not None else None,
        "bank_format": loaded.format, "limit": options.limit, "paper": options.paper,
        "prompts": str(prompt_set.folder.resolve()),
        "pricing": vars(pricing) if pricing is not None else None,
    }
    out = options.out if options.out is not None else _default_out(entry.blueprint.id, model)
    return RunPlan(entry=entry, bank=run_bank, loaded=loaded, options=options, prompt_set=prompt_set,
                   grading=grading, config=config, runtime=runtime, out=out, requests=requests, by_key=by_key,
                   pricing=pricing, grader=grader, notes=notes, report_notes=left_out)


_IDENTITY_SETTINGS = ("trust_remote_code", "extra_body", "send_thinking", "reasoning_fields")
"""Backend settings that change what a model answers or how its answer is split (a resume must keep them)."""


def _identity_settings(backend: Backend) -> dict[str, Any]:
    """The backend settings that change what a model answers (a resume must keep them)."""
    settings = backend.info.settings
    if backend.info.name not in ("hf", "openai", "vllm"):
        return {}
    return {k: settings.get(k) for k in _IDENTITY_SETTINGS if k in settings}


def _limited(bank: Bank, limit: int | None) -> Bank:
    import dataclasses

    return dataclasses.replace(bank, questions=bank.questions[:limit]) if limit else bank


def check_out_dir(plan: RunPlan) -> RunStore | None:
    """Before the backend loads: refuse an occupied ``out`` (new run), or open it — holding its lock — and
    check it (resume)."""
    if plan.options.resume:
        store = RunStore.open(plan.out)
        with released_on_error(store):
            check_resume(store, plan)
        return store
    if plan.options.out is not None:  # a name examqa makes up is made unique when the run starts
        RunStore.ensure_new(plan.out)
    return None


def _restricted(new: Mapping[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """``new`` with only the keys ``old`` has (nested too): what a run from before 0.3 can be checked on."""
    return {k: _restricted(v, old[k]) if isinstance(v, Mapping) and isinstance(old[k], Mapping) else v
            for k, v in new.items() if k in old}


def _changed_prompt(store: RunStore, plan: RunPlan) -> str | None:
    """The first stored sample whose messages are not what the plan would send now: its item id."""
    messages = {r.key: [dict(m) for m in r.messages] for r in plan.requests}
    for record in store.samples():
        now = messages.get(record.key)
        if now is not None and now != record.messages:
            return record.id
    return None


def check_resume(store: RunStore, plan: RunPlan) -> None:
    """Refuse to resume ``store`` with a plan that changes what the model is asked or how it is graded.

    The stored configuration must match, hashes of every prompt and of the bank's rows included. A run
    from before 0.3 records neither: it is checked on what it does record, on each stored sample's
    messages against what the plan would send for it now, and on the backend settings its runtime kept.
    """
    stored = store.manifest.config
    new = plan.config.identity()
    legacy = "prompts_sha256" not in stored
    diffs = store.config_diffs(_restricted(new, stored) if legacy else new)
    if legacy:
        kept = store.manifest.runtime.get("backend") or {}
        for key in _IDENTITY_SETTINGS:
            now = plan.config.backend_settings.get(key)
            if key in kept and key in plan.config.backend_settings and kept[key] != now:
                diffs.append(f"backend_settings.{key}: {kept[key]!r} → {now!r}")
    changed = _changed_prompt(store, plan) if legacy or any(d.startswith("prompts_sha256") for d in diffs) else None
    if changed is not None:
        diffs = [d for d in diffs if not d.startswith("prompts_sha256")]
        diffs.insert(0, f"the prompt of item {changed} is not the one its stored samples were asked (templates, "
                        "bank or examqa changed)")
    elif not legacy:
        diffs = [("the prompts of items not generated yet changed (templates, bank or examqa)"
                  if d.startswith("prompts_sha256") else
                  "the bank's rows changed (stems, choices, keys or points)" if d.startswith("rows_sha256") else d)
                 for d in diffs]
    store.refuse_resume(diffs)


def open_store(plan: RunPlan, backend: Backend, resumed: RunStore | None) -> RunStore:
    """Create the run directory (or record the new runtime on a resumed one), once the backend is up.

    A directory examqa named itself (no ``out`` given) that already exists — another run started in the
    same second — is not shared: the next free ``…-2``, ``…-3`` is used.
    """
    runtime = {**plan.runtime, "backend": backend.info.settings}  # what the backend resolved (device, URLs)
    if resumed is not None:
        resumed.record_runtime(runtime)
        return resumed
    return RunStore.create(plan.out, plan.config.identity(), runtime, __version__, unique=plan.options.out is None)


def finish_run(plan: RunPlan, store: RunStore, wall_seconds: float | None) -> Report:
    """Summarize the stored samples and write ``report.json``, ``report.md`` and ``report.html``."""
    report = summarize(plan.entry, plan.bank, store.samples(), store.errors(), plan.config, plan.options.edition,
                       wall_seconds, plan.pricing, grader=plan.grader)
    if plan.report_notes:
        report = report.model_copy(update={"notes": (*report.notes, *plan.report_notes)})
    write_reports(store, report)
    return report


def write_reports(store: RunStore, report: Report) -> None:
    """The three report files of a run directory, each written atomically."""
    from examqa.reports import to_html, to_markdown

    store.write_text("report.json", report.model_dump_json(indent=2))
    store.write_text("report.md", to_markdown(report))
    store.write_text("report.html", to_html(report))


class _Silent:
    def started(self, run: RunStarted) -> None:
        pass

    def sample(self, record: SampleRecord) -> None:
        pass


def prepare_plan(exam: str | ExamEntry, bank: Bank | Path | str, backend: Backend,
                 options: Mapping[str, Any]) -> RunPlan:
    """Validate ``options`` and plan the run (:func:`plan_run`), warning the caller of the plan's notes.

    Nothing is written and the backend is not used: a suite plans every run this way before any
    of them generates.
    """
    opts = options if isinstance(options, RunOptions) else validated(RunOptions, dict(options))
    plan = plan_run(exam, bank, backend, opts)
    for note in plan.notes:
        warn(note, path=plan.bank.source)  # at the caller's line (not sys:1), or the bank's
    return plan


def _prepare(exam: str | ExamEntry, bank: Bank | Path | str, backend: Backend,
             options: Mapping[str, Any]) -> tuple[RunPlan, RunStore | None]:
    plan = prepare_plan(exam, bank, backend, options)
    return plan, check_out_dir(plan)


def _begin(plan: RunPlan, store: RunStore, progress: RunProgress) -> list[GenRequest]:
    stored = store.samples()
    done = {r.key for r in stored}
    pending = [r for r in plan.requests if r.key not in done]
    progress.started(RunStarted(exam=plan.entry.blueprint.id, model=plan.config.model,
                                mode=plan.grading.sampling.mode, out=store.root, total=len(plan.requests),
                                done=len(plan.requests) - len(pending), correct=sum(bool(r.correct) for r in stored)))
    return pending


def evaluate(exam: str | ExamEntry, bank: Bank | Path | str, backend: Backend, *,
             progress: RunProgress | None = None, **options: Any) -> Report:
    """Run ``backend``'s model on ``bank`` under ``exam``'s rule and return the report.

    ``options`` are :class:`~examqa.runs.options.RunOptions` fields (``samples``, ``thinking``,
    ``temperature``, ``seed``, ``out``, ``resume``, ``limit`` …), the CLI's flags by the same names.
    Every sample is stored in the run directory the moment it is graded; the report is also written
    there. A run that ends with samples still failed returns normally with ``report.run.missing > 0``
    (``resume=True`` finishes it). Ctrl-C writes the partial report, then raises KeyboardInterrupt.

    Called inside a running event loop (a notebook, sync code called from async code) it runs
    :func:`aevaluate` on a helper thread's loop and waits; Ctrl-C then cancels that run too (it writes
    its partial report) before KeyboardInterrupt is raised.
    """
    if in_running_loop():  # a notebook, or sync code called from async: don't block that loop's thread
        from examqa.backends.base import run_sync

        report: Report = run_sync(lambda: aevaluate(exam, bank, backend, progress=progress, **options))
        return report
    plan, resumed = _prepare(exam, bank, backend, options)
    with released_on_error(resumed):  # a resume holds the run's lock from its check on
        backend.open()
    return run_planned(plan, resumed, backend, progress)


@contextlib.contextmanager
def released_on_error(resumed: RunStore | None) -> Iterator[None]:
    """Let go of a resumed run's lock (held from its check on) if the block fails, then raise."""
    try:
        yield
    except BaseException:
        if resumed is not None:
            resumed.close()
        raise


def run_planned(plan: RunPlan, resumed: RunStore | None, backend: Backend,
                progress: RunProgress | None = None) -> Report:
    """Generate a planned run with an opened backend, in this thread: :func:`evaluate` after its checks.

    The run's directory is held (its lock) from here, or from the resume's check, until its reports are
    written.
    """
    with released_on_error(resumed):
        store = open_store(plan, backend, resumed)
    with store:
        pending = _begin(plan, store, progress or _Silent())
        started = time.perf_counter()
        try:
            generate_and_store(backend, pending, plan.by_key, plan.grading, store,
                               (progress or _Silent()).sample)
        except KeyboardInterrupt:
            finish_run(plan, store, time.perf_counter() - started)
            raise
        return finish_run(plan, store, time.perf_counter() - started)


async def aevaluate(exam: str | ExamEntry, bank: Bank | Path | str, backend: Backend, *,
                    progress: RunProgress | None = None, **options: Any) -> Report:
    """:func:`evaluate` on the running event loop: same arguments, same run directory, same report.

    Cancelling the task keeps every stored sample, writes the partial report and re-raises.
    """
    plan, resumed = _prepare(exam, bank, backend, options)
    with released_on_error(resumed):
        await backend.aopen()
    return await arun_planned(plan, resumed, backend, progress)


async def arun_planned(plan: RunPlan, resumed: RunStore | None, backend: Backend,
                       progress: RunProgress | None = None) -> Report:
    """Generate a planned run with an opened backend, on the running loop: :func:`aevaluate` after its checks.

    Cancelling the task keeps every stored sample, writes the partial report and re-raises.
    """
    import asyncio

    with released_on_error(resumed):
        store = open_store(plan, backend, resumed)
    with store:
        pending = _begin(plan, store, progress or _Silent())
        started = time.perf_counter()
        try:
            await agenerate_and_store(backend, pending, plan.by_key, plan.grading, store,
                                      (progress or _Silent()).sample)
        except (asyncio.CancelledError, KeyboardInterrupt):
            finish_run(plan, store, time.perf_counter() - started)
            raise
        return finish_run(plan, store, time.perf_counter() - started)


def reload_run(run: Path | str, *, write: bool = False) -> tuple[RunStore, ExamEntry, Bank, RunConfig]:
    """Open a stored run and load its exam and bank, checking the bank is the one the run used.

    ``write`` opens it to rewrite (holding its lock, refused while another process writes it); otherwise
    it is only read (a run being written can be read: its samples so far).
    """
    root = Path(run)
    store = RunStore.open(root, "rescore it") if write else RunStore.read(root)
    try:
        cfg, rt = store.manifest.config, store.manifest.runtime
        entry = get_exam(cfg["exam"])
        if not rt.get("bank_path"):
            raise InputError(f"{run}: the run was made from an in-memory bank; re-render it from Python",
                             hint="examqa.report_run(run, bank=…)")
        fmt = rt.get("bank_format")
        fmt = fmt if isinstance(fmt, str) and "+" not in fmt else None  # a mixed folder: detect again
        loaded, _ = bank_for_exam(Path(rt["bank_path"]), cfg["exam"], fmt)
        loaded = one_paper(loaded, entry.blueprint, rt.get("paper"), edition=cfg.get("edition"))
        if loaded.sha256() != cfg["bank_sha256"]:
            raise InputError(f"the bank at {rt['bank_path']} changed since the run (hash differs)",
                             hint="restore the original bank files")
        bank = _limited(loaded, rt.get("limit"))
        if cfg.get("rows_sha256") not in (None, rows_sha256(bank.questions)):
            raise InputError(f"the bank at {rt['bank_path']} is read differently than when the run was made "
                             "(its rows' hash differs)", hint="re-read it with the examqa that made the run")
    except BaseException:
        store.close()
        raise
    return store, entry, bank, RunConfig.from_identity(cfg)


def _stored_pricing(store: RunStore) -> Pricing | None:
    stored = store.manifest.runtime.get("pricing")
    return Pricing(**stored) if stored else None


def report_run(run: Path | str) -> Report:
    """Re-render a stored run's reports from its samples (``examqa report RUN``); returns the report.

    Reading never modifies the run: a last line being written (or cut by ``kill -9``) is skipped, not
    trimmed. The report files are written under the run's lock; while another process is writing the run
    they are not (that process writes them when it ends) — a warning says so, and the report returned
    covers the samples stored so far.
    """
    store, entry, bank, config = reload_run(run)
    wall = None
    previous = store.root / "report.json"
    if previous.is_file():
        try:
            wall = (json.loads(previous.read_text(encoding="utf-8")).get("run") or {}).get("wall_seconds")
        except (OSError, ValueError):
            wall = None
    grader = get_grader(config.grader) if config.grader is not None else entry.domain.grader
    report = summarize(entry, bank, store.samples(), store.errors(), config, config.edition, wall,
                       _stored_pricing(store), grader=grader)
    try:
        store.hold("write its reports")
    except RunStoreError:
        writer = writer_of(store.root)
        if writer is None:
            raise  # not a writer: the directory cannot be written (permission, read-only)
        warn(f"{store.root} is being written ({writer}): this report covers the samples stored so far, "
             "and its files are left to that process", path=store.root)
        return report
    with store:
        write_reports(store, report)
    return report


def rescore_run(run: Path | str) -> tuple[Report, int]:
    """Re-parse every stored output with the current parser (``examqa rescore RUN``): no generation.

    Holds the run's lock (refused while another process writes the run), re-reads a snapshot of its
    samples, replaces ``samples.jsonl`` atomically (temporary file and directory fsynced) and rewrites the
    reports; returns the report and how many samples' reading (choice, method or outcome) changed.
    """
    from examqa.backends.base import GenResult
    from examqa.prompts.protocols import get_protocol

    store, entry, bank, config = reload_run(run, write=True)
    with store:
        protocol = get_protocol(config.protocol)
        grader = get_grader(config.grader) if config.grader is not None else entry.domain.grader
        by_id = {q.id: q for q in bank.questions}
        records = []
        changed = 0
        for rec in store.samples():
            q = by_id.get(rec.id)
            if q is None:
                continue
            grading = Grading(sampling=config.sampling, template_sha256=rec.template_sha256, grader=grader,
                              label_style=protocol.label_style, readers=dict(protocol.readers),
                              blank_scores_on_all_accepted=entry.blueprint.blank_scores_on_all_accepted)
            result = GenResult(key=rec.key, prompt=rec.prompt, output=rec.output,
                               finish_reason="length" if rec.finish_reason == "length" else "stop",
                               reasoning=rec.reasoning, content=rec.final if rec.server_split else None,
                               server_split=rec.server_split, prompt_tokens=rec.prompt_tokens,
                               completion_tokens=rec.completion_tokens, reasoning_tokens=rec.reasoning_tokens,
                               latency_s=rec.latency_s)
            new = grading.grade(q, result, rec.messages).model_copy(update={"created": rec.created})
            changed += (new.choice, new.method, new.outcome) != (rec.choice, rec.method, rec.outcome)
            records.append(new)
        store.replace_samples(records)
        report = summarize(entry, bank, records, store.errors(), config, config.edition,
                           pricing=_stored_pricing(store), grader=grader)
        write_reports(store, report)
    return report, changed
