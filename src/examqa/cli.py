"""The ``examqa`` command line. Exit codes: 0 graded (pass or fail), 2 bad input, 1 internal error.

Errors are mapped to exit codes in one place (:func:`main`); a user error prints one line and no
traceback (``EXAMQA_DEBUG=1`` shows it).
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from examqa._version import __version__
from examqa.errors import ExamqaError, InputError

app = typer.Typer(
    name="examqa",
    help="Would this answer sheet pass the Korean licence exam? Grades sheets and reasoning models under "
         "the official pass rules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class BackendName(StrEnum):
    """Backends selectable with ``--backend``."""

    hf = "hf"
    openai = "openai"
    scripted = "scripted"


# ------------------------------------------------------------------------------------------------ exams


@app.command()
def exams(
    detail: Annotated[bool, typer.Option("--detail", help="Show editions, sources and what is unverified.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the blueprints as JSON.")] = False,
) -> None:
    """List the exams installed plugins provide."""
    from examqa.plugins import registry

    entries = registry()
    if as_json:
        out.print_json(json.dumps([e.blueprint.model_dump(mode="json") for e in entries.values()],
                                  ensure_ascii=False))
        return
    from rich.table import Table

    from examqa.scoring import format_points

    table = Table(title="examqa exams")
    table.add_column("id", no_wrap=True)
    table.add_column("시험")
    table.add_column("과목 subjects")
    table.add_column("합격 기준 pass rule", no_wrap=True)
    for exam_id, entry in entries.items():
        bp = entry.blueprint
        ed = bp.edition()
        subjects = ", ".join(s.name + (" (공인성적)" if s.accredited else "") for s in ed.subjects)
        rule = bp.pass_rule
        table.add_row(exam_id, bp.name_ko, subjects,
                      f"{'평균' if rule.basis == 'subject_mean' else '총점'} ≥ {format_points(rule.total_percent)}%, "
                      f"과목 ≥ {format_points(rule.floor_percent)}%")
    out.print(table)
    if not detail:
        return
    for exam_id, entry in entries.items():
        bp = entry.blueprint
        out.print(f"\n[bold]{exam_id}[/] — {bp.name_ko} ({bp.name_en}), {bp.body}; domain {entry.domain.name}")
        out.print(f"  pass rule ({bp.pass_rule.basis}): {bp.pass_rule.text}")
        for ed in bp.editions:
            span = f"{ed.from_year}–{ed.to_year or ''}"
            total = format_points(ed.total_points) if ed.total_points is not None else "?"
            flag = "" if ed.verified else " [yellow](unverified)[/]"
            out.print(f"  edition {ed.id} ({span}): {total} points{flag}")
            for s in ed.subjects:
                items = s.items if s.items is not None else "?"
                mx = format_points(s.max_points) if s.max_points is not None else "?"
                if s.points_per_item is not None:
                    mx += f" ({format_points(s.points_per_item)} per item)"
                extra = " accredited score" if s.accredited else ""
                flag = "" if s.verified else " [yellow](unverified)[/]"
                out.print(f"    · {s.name} ({s.name_en}) session {s.session or '?'}: {items} items, "
                          f"{mx} points{extra}{flag}")
            for g in ed.floor_groups:
                out.print(f"    과락 group {g.name}: {' + '.join(g.subjects)}")
        for src in bp.sources:
            flag = "verified" if src.verified else "[yellow]unverified[/]"
            out.print(f"  source {src.id}: {src.title} ({flag}){' — ' + src.note if src.note else ''}")
        for u in bp.unverified:
            out.print(f"  [yellow]unverified:[/] {u}")


# ------------------------------------------------------------------------------------------------ validate


@app.command()
def validate(
    bank: Annotated[Path, typer.Argument(help="A bank file or a folder of bank files.")],
    exam: Annotated[str, typer.Option("--exam", help="Exam id (see `examqa exams`).")],
    bank_format: Annotated[str | None, typer.Option("--bank-format", help="Override format detection.")] = None,
    edition: Annotated[str | None, typer.Option("--edition", help="Blueprint edition to check against.")] = None,
) -> None:
    """List every problem in a bank (with file and line); exit 2 if any is an error."""
    from examqa.banks import validate_bank
    from examqa.plugins import get_exam

    entry = get_exam(exam)
    problems = validate_bank(bank, entry.blueprint, bank_format, edition)
    for p in problems:
        (err if p.severity == "error" else out).print(str(p), markup=False)
    n_err = sum(p.severity == "error" for p in problems)
    n_warn = len(problems) - n_err
    out.print(f"{bank}: {n_err} error(s), {n_warn} warning(s)", markup=False)
    if n_err:
        raise typer.Exit(2)


# ------------------------------------------------------------------------------------------------ grade


def _emit(report: Any, as_json: bool) -> None:
    from examqa.render import print_report

    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        print_report(report, out)


@app.command()
def grade(
    exam: Annotated[str, typer.Argument(help="Exam id, e.g. loss-adjuster (see `examqa exams`).")],
    bank: Annotated[Path, typer.Option("--bank", help="Question bank: a file or a folder of files.")],
    answers: Annotated[Path | None, typer.Option("--answers", help="Answer sheet CSV (id,answer).")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model folder, hub id or served name.")] = None,
    backend: Annotated[BackendName, typer.Option("--backend", help="Generation backend.")] = BackendName.hf,
    base_url: Annotated[list[str] | None, typer.Option("--base-url", help="OpenAI-compatible URL; repeatable.")]
    = None,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Answers drawn per item (majority vote).")] = 1,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Run directory (default runs/<exam>-<time>).")]
    = None,
    resume: Annotated[bool, typer.Option("--resume", help="Finish the run in --out without redoing items.")]
    = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    edition: Annotated[str | None, typer.Option("--edition", help="Blueprint edition (default: by year).")] = None,
    bank_format: Annotated[str | None, typer.Option("--bank-format", help="Override format detection.")] = None,
    prompts: Annotated[Path | None, typer.Option("--prompts", help="Folder of prompt templates to use.")] = None,
    no_thinking: Annotated[bool, typer.Option("--no-thinking", help="Non-reasoning mode.")] = False,
    temperature: Annotated[float | None, typer.Option("--temperature", min=0.0,
                                                      help="0 = greedy; default 0.6 reasoning / 0 otherwise.")]
    = None,
    top_p: Annotated[float, typer.Option("--top-p", min=0.0, max=1.0)] = 0.95,
    seed: Annotated[int | None, typer.Option("--seed", help="Sampling seed (sample k uses seed + k).")] = None,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens", min=1, help="Token budget per answer.")]
    = 16384,
    presence_penalty: Annotated[float | None, typer.Option("--presence-penalty", help="Servers only.")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="hf: prompts per batch.")] = 8,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="openai: requests in flight.")] = 8,
    timeout: Annotated[float, typer.Option("--timeout", min=1.0, help="openai: seconds to wait for a reply.")]
    = 600.0,
    max_retries: Annotated[int, typer.Option("--max-retries", min=0, help="openai: retries per request.")] = 6,
    dtype: Annotated[str, typer.Option("--dtype", help="hf: auto, float32, bfloat16, float16.")] = "auto",
    device: Annotated[str, typer.Option("--device", help="hf: auto, cpu, cuda, cuda:1, mps.")] = "auto",
    trust_remote_code: Annotated[bool, typer.Option("--trust-remote-code", help="hf: run the model's code.")]
    = False,
    extra_body: Annotated[str | None, typer.Option("--extra-body", help="openai: JSON merged into requests.")]
    = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N items (a quick look).")]
    = None,
    price_in: Annotated[float | None, typer.Option("--price-in", help="Price per million input tokens.")] = None,
    price_out: Annotated[float | None, typer.Option("--price-out", help="Price per million output tokens.")]
    = None,
    currency: Annotated[str, typer.Option("--currency")] = "USD",
) -> None:
    """Grade an answer sheet (--answers) or a model's answers (--model) under the exam's pass rule."""
    from examqa.banks import load_bank
    from examqa.plugins import get_exam

    if (answers is None) == (model is None):
        raise InputError("give exactly one of --answers SHEET (grade a sheet) or --model MODEL (run a model)")
    entry = get_exam(exam)
    loaded = load_bank(bank, bank_format)
    if loaded.problems:
        err.print(f"{bank}: {len(loaded.problems)} warning(s) in the bank (see `examqa validate`)", markup=False)
    if answers is not None:
        from examqa.scoring import score
        from examqa.sheets import read_sheet

        sheet = read_sheet(answers, loaded)
        report = score(entry.blueprint, loaded.questions, sheet.marks, edition=edition, grader=entry.domain.grader)
        _emit(report, as_json)
        return

    from examqa.backends.base import Sampling

    assert model is not None
    thinking = not no_thinking
    sampling = Sampling(thinking=thinking, temperature=temperature if temperature is not None else
                        (0.6 if thinking else 0.0), top_p=top_p, max_new_tokens=max_new_tokens, seed=seed,
                        presence_penalty=presence_penalty)
    if samples > 1 and sampling.greedy:
        err.print(f"warning: --samples {samples} with greedy decoding (temperature 0) draws the same answer "
                  "every time; sample with a temperature above 0 for self-consistency", markup=False)
    pricing = None
    if price_in is not None or price_out is not None:
        from examqa.engine import Pricing

        pricing = Pricing(price_in or 0.0, price_out or 0.0, currency)
    _run_model(entry, loaded, bank, model, backend, base_url or [], samples, out_dir, resume, as_json, edition,
               prompts, sampling, batch_size, concurrency, dtype, device, trust_remote_code, extra_body, limit,
               pricing, {"timeout_s": timeout, "max_retries": max_retries})


def _make_backend(backend: BackendName, model: str, base_urls: list[str], batch_size: int, concurrency: int,
                  dtype: str, device: str, trust_remote_code: bool, extra_body: str | None,
                  http: dict[str, Any]) -> Any:
    if backend is BackendName.scripted:
        from examqa.backends.scripted import ScriptedBackend

        return ScriptedBackend.from_file(Path(model))
    if backend is BackendName.hf:
        if base_urls:
            raise InputError("--base-url is for --backend openai")
        from examqa.backends.hf import HFBackend

        return HFBackend(model, dtype=dtype, device=device, batch_size=batch_size,
                         trust_remote_code=trust_remote_code)
    if not base_urls:
        raise InputError("--backend openai needs --base-url URL (e.g. http://127.0.0.1:8000/v1)")
    body: dict[str, Any] = {}
    if extra_body:
        try:
            body = json.loads(extra_body)
        except json.JSONDecodeError as exc:
            raise InputError(f"--extra-body is not JSON: {exc.msg}") from exc
        if not isinstance(body, dict):
            raise InputError("--extra-body must be a JSON object")
    from examqa.backends.openai import OpenAIBackend

    b = OpenAIBackend(base_urls, model, concurrency=concurrency, extra_body=body, **http)
    b.check_health()
    return b


def _run_model(entry: Any, loaded: Any, bank_path: Path, model: str, backend_name: BackendName,
               base_urls: list[str], samples: int, out_dir: Path | None, resume: bool, as_json: bool,
               edition: str | None, prompts_override: Path | None, sampling: Any, batch_size: int,
               concurrency: int, dtype: str, device: str, trust_remote_code: bool, extra_body: str | None,
               limit: int | None, pricing: Any, http: dict[str, Any]) -> None:
    from examqa import engine
    from examqa.prompts import prompts_for
    from examqa.runstore import RunStore

    bank = _limited(loaded, limit)
    questions = bank.questions
    prompt_set = prompts_for(entry.domain.prompts, prompts_override, entry.domain.name)
    if out_dir is None:
        if resume:
            raise InputError("--resume needs --out RUN_DIR (the run to finish)")
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        out_dir = Path("runs") / f"{entry.blueprint.id}-{Path(model).name or 'model'}-{stamp}"
    config = engine.RunConfig(
        exam=entry.blueprint.id, edition=edition, bank_sha256=loaded.sha256(), bank_items=len(questions),
        template_sha256=prompt_set.sha256, backend=backend_name.value, model=model, sampling=sampling,
        samples=samples, backend_settings={"trust_remote_code": trust_remote_code, "extra_body": extra_body},
    )
    runtime = {"bank_path": str(bank_path.resolve()), "bank_format": loaded.format, "limit": limit,
               "prompts": str(prompt_set.folder.resolve()), "batch_size": batch_size,
               "concurrency": concurrency, "dtype": dtype, "device": device, **http,
               "pricing": vars(pricing) if pricing is not None else None}
    requests, by_key = engine.build_requests(entry.blueprint, questions, prompt_set, samples, sampling.seed)
    # Check the run directory before loading a model (which can take minutes), and create it only once
    # the backend is up, so a bad --model leaves nothing half-written.
    if resume:
        store = RunStore.open(out_dir)
        store.check_resume(config.identity(), runtime)
    else:
        RunStore.ensure_new(out_dir)
    backend = _make_backend(backend_name, model, base_urls, batch_size, concurrency, dtype, device,
                            trust_remote_code, extra_body, http)
    runtime["backend"] = backend.info.settings  # what the backend resolved (device, dtype, redacted URLs)
    if resume:
        store.record_runtime(runtime)
    else:
        store = RunStore.create(out_dir, config.identity(), runtime, __version__)
    done = {r.key for r in store.samples()}
    pending = [r for r in requests if r.key not in done]
    correct = sum(bool(r.correct) for r in store.samples())
    finished = len(done)
    started = time.perf_counter()
    interrupted = False
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[rate]}"), TextColumn("acc {task.fields[acc]}"),
                        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=err,
                        disable=as_json and not err.is_terminal)
    with progress:
        task = progress.add_task(f"{entry.blueprint.id} · {Path(model).name}", total=len(requests),
                                 completed=finished, rate="", acc="–")

        def on_sample(record: Any) -> None:
            nonlocal correct, finished
            finished += 1
            correct += bool(record.correct)
            elapsed = time.perf_counter() - started
            new = finished - len(done)
            progress.update(task, advance=1, acc=f"{correct / finished:.1%}",
                            rate=f"{new / elapsed:.2f} it/s" if elapsed > 0 else "")

        try:
            engine.generate_and_store(backend, pending, by_key, sampling, prompt_set.sha256, store, on_sample)
        except KeyboardInterrupt:
            interrupted = True
    wall = time.perf_counter() - started
    report = engine.summarize(entry, bank, store.samples(), store.errors(), config, edition, wall, pricing)
    _write_reports(store, report)
    _emit(report, as_json)
    err.print(f"run saved in {out_dir} (manifest.json, samples.jsonl, report.json/.md/.html)", markup=False)
    if interrupted:
        err.print(f"interrupted: {len(store.samples())} sample(s) saved; finish with the same command plus "
                  f"--resume --out {out_dir}", markup=False)
        raise typer.Exit(130)
    if report.run is not None and report.run.errors:
        err.print(f"{report.run.errors} sample(s) failed; retry them with the same command plus --resume "
                  f"--out {out_dir}", markup=False)


# ------------------------------------------------------------------------------------------------ runs


def _limited(bank: Any, limit: int | None) -> Any:
    """The bank cut to its first ``limit`` items (``--limit``), or as it is."""
    import dataclasses

    return dataclasses.replace(bank, questions=bank.questions[:limit]) if limit else bank


def _stored_pricing(store: Any) -> Any:
    from examqa.engine import Pricing

    stored = store.manifest.runtime.get("pricing")
    return Pricing(**stored) if stored else None


def _reload(run: Path) -> tuple[Any, Any, Any, Any]:
    """Open a run and load its exam and bank, checking the bank is the one the run used."""
    from examqa import engine
    from examqa.backends.base import Sampling
    from examqa.banks import load_bank
    from examqa.plugins import get_exam
    from examqa.runstore import RunStore

    store = RunStore.open(run)
    cfg, rt = store.manifest.config, store.manifest.runtime
    entry = get_exam(cfg["exam"])
    loaded = load_bank(Path(rt["bank_path"]), rt.get("bank_format"))
    if loaded.sha256() != cfg["bank_sha256"]:
        raise InputError(f"the bank at {rt['bank_path']} changed since the run (hash differs)",
                         hint="restore the original bank files")
    bank = _limited(loaded, rt.get("limit"))
    config = engine.RunConfig(exam=cfg["exam"], edition=cfg.get("edition"), bank_sha256=cfg["bank_sha256"],
                              bank_items=cfg["bank_items"], template_sha256=cfg["template_sha256"],
                              backend=cfg["backend"], model=cfg["model"], sampling=Sampling(**cfg["sampling"]),
                              samples=cfg["samples"], backend_settings=cfg.get("backend_settings", {}))
    return store, entry, bank, config


def _write_reports(store: Any, report: Any) -> None:
    from examqa.render import to_html, to_markdown

    store.write_text("report.json", report.model_dump_json(indent=2))
    store.write_text("report.md", to_markdown(report))
    store.write_text("report.html", to_html(report))


@app.command()
def report(
    run: Annotated[Path, typer.Argument(help="A run directory (the --out of a model run).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Re-render a run's reports (JSON, Markdown, HTML) from its stored samples."""
    from examqa import engine

    store, entry, bank, config = _reload(run)
    previous = store.root / "report.json"
    wall = None
    if previous.is_file():
        old = json.loads(previous.read_text(encoding="utf-8")).get("run") or {}
        wall = old.get("wall_seconds")
    report_ = engine.summarize(entry, bank, store.samples(), store.errors(), config, config.edition, wall,
                               _stored_pricing(store))
    _write_reports(store, report_)
    _emit(report_, as_json)


@app.command()
def rescore(
    run: Annotated[Path, typer.Argument(help="A run directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Re-parse every stored output with the current parser (no generation) and rewrite the reports."""
    from examqa import engine
    from examqa.backends.base import GenResult

    store, entry, bank, config = _reload(run)
    by_id = {q.id: q for q in bank.questions}
    records = []
    changed = 0
    for rec in store.samples():
        q = by_id.get(rec.id)
        if q is None:
            continue
        result = GenResult(key=rec.key, prompt=rec.prompt, output=rec.output,
                           finish_reason=rec.finish_reason,
                           reasoning=rec.reasoning, content=rec.final if rec.server_split else None,
                           server_split=rec.server_split, prompt_tokens=rec.prompt_tokens,
                           completion_tokens=rec.completion_tokens, reasoning_tokens=rec.reasoning_tokens,
                           latency_s=rec.latency_s)
        new = engine.grade_sample(q, result, config.sampling, rec.template_sha256, rec.messages)
        new = new.model_copy(update={"created": rec.created})
        changed += (new.choice, new.method, new.outcome) != (rec.choice, rec.method, rec.outcome)
        records.append(new)
    store.rewrite_samples(records)
    report_ = engine.summarize(entry, bank, records, store.errors(), config, config.edition,
                               pricing=_stored_pricing(store))
    _write_reports(store, report_)
    _emit(report_, as_json)
    err.print(f"rescored {len(records)} sample(s); {changed} changed", markup=False)


# ------------------------------------------------------------------------------------------------ misc


@app.command()
def schema() -> None:
    """Print the JSON schema of reports (versioned by schema_version)."""
    from examqa.report import Report

    sys.stdout.write(json.dumps(Report.model_json_schema(mode="serialization"), ensure_ascii=False, indent=2)
                     + "\n")


@app.command("tiny-model")
def tiny_model(
    path: Annotated[Path | None, typer.Argument(help="Where to build it (default: a cache folder).")] = None,
) -> None:
    """Build the tiny random-weight EXAONE-4.0 test model and print its folder (pipeline demos only)."""
    from examqa.testing import build_tiny_exaone, tiny_model_dir

    folder = build_tiny_exaone(path) if path is not None else tiny_model_dir()
    sys.stdout.write(f"{folder}\n")


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        sys.stdout.write(f"examqa {__version__}\n")
        raise typer.Exit(0)


def main() -> None:
    """Entry point: run the app and map errors to exit codes in one place."""
    debug = os.environ.get("EXAMQA_DEBUG") == "1"
    try:
        rv = app(standalone_mode=False)
    except ExamqaError as exc:
        if debug:
            raise
        err.print(f"examqa: error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err.print("examqa: interrupted", markup=False)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("examqa: interrupted", markup=False)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        if debug:
            raise
        err.print(f"examqa: internal error: {type(exc).__name__}: {exc} (set EXAMQA_DEBUG=1 for the traceback "
                  "and please report it)", markup=False)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
