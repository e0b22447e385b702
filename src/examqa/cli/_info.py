"""``examqa exams``, ``validate``, ``schema`` and ``tiny-model``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from examqa.cli._common import emit_json, out_console

if TYPE_CHECKING:
    from examqa.exams import Blueprint


def configure_exams(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``examqa exams``."""
    parser.add_argument("--detail", action="store_true", help="Show editions, sources and what is unverified.")
    parser.add_argument("--json", dest="as_json", action="store_true", help="Print the blueprints as JSON.")
    parser.add_argument("--plugins", action="store_true",
                        help="Also list the installed backends, bank formats and graders.")


def run_exams(args: argparse.Namespace) -> int:
    """List the exams installed plugins provide."""
    from examqa.exams import registry

    entries = registry()
    if args.as_json:
        emit_json([e.blueprint.model_dump(mode="json") for e in entries.values()])
        return 0
    from rich.table import Table

    from examqa.exams import format_points

    out = out_console()
    table = Table(title="examqa exams")
    # Narrow terminals (80 columns, or a pipe) keep every column readable: the ids whole, the rest wrapped,
    # and the subjects left to `--detail` when there is no room for them.
    wide = out.width >= 120
    table.add_column("id", no_wrap=True, min_width=len(max(entries, key=len, default="id")))
    table.add_column("시험", ratio=1, min_width=8)
    if wide:
        table.add_column("과목 subjects", ratio=2)
    table.add_column("합격 기준 pass rule", ratio=2, min_width=16)
    for exam_id, entry in entries.items():
        bp = entry.blueprint
        ed = bp.edition()
        subjects = ", ".join(s.name + (" (공인성적)" if s.accredited else " (선택)" if s.elective else "")
                             for s in ed.subjects)
        table.add_row(exam_id, bp.name_ko, *([subjects] if wide else []), rule_summary(bp))
    out.print(table)
    if args.plugins:
        from examqa.backends import backend_names
        from examqa.banks import format_names
        from examqa.exams import grader_names

        out.print(f"backends: {', '.join(backend_names())}", markup=False)
        out.print(f"bank formats: {', '.join(format_names())}", markup=False)
        out.print(f"graders: {', '.join(grader_names())}", markup=False)
    if not args.detail:
        return 0
    for exam_id, entry in entries.items():
        bp = entry.blueprint
        out.print(f"\n[bold]{exam_id}[/] — {bp.name_ko} ({bp.name_en}), {bp.body}; domain {entry.domain.name}")
        if bp.licence_names:
            out.print(f"  licence names a bank may use: {', '.join(bp.licence_names)}", markup=False)
        rule = bp.pass_rule
        out.print(f"  pass rule ({rule.kind}, {rule.basis}): {rule.text} {_cite(bp, rule.source)}", markup=False)
        if rule.quota:
            out.print(f"    rank: {rule.quota}", markup=False)
        if rule.whole:
            out.print(f"    part of a larger exam: {rule.whole}", markup=False)
        for cut in rule.cuts:
            flag = "" if cut.verified else " [yellow](unverified)[/]"
            rnd = f" 제{cut.round}회" if cut.round else ""
            out.print(f"    {cut.year}{rnd} 합격선 {escape(cut.published)}{flag} {escape(_cite(bp, cut.source))}"
                      + (f" — {escape(cut.note)}" if cut.note else ""))
        paper = bp.paper
        out.print(f"  KMMLU-Pro paper's rule (not the law): {paper.text}"
                  + ("" if paper.verified else " (unverified)") + (f" — {paper.note}" if paper.note else ""),
                  markup=False)
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
                if s.elective:
                    extra += f" elective ({s.elective}: one sat)"
                flag = "" if s.verified else " [yellow](unverified)[/]"
                out.print(f"    · {escape(s.name)} ({escape(s.name_en)}) session {s.session or '?'}: {items} items, "
                          f"{mx} points{extra}{flag}" + (f" — {escape(s.note)}" if s.note else ""))
                if s.aliases:
                    out.print(f"      also spelled: {', '.join(s.aliases)}", markup=False)
            for g in ed.floor_groups:
                also = f" (also spelled: {', '.join(g.aliases)})" if g.aliases else ""
                out.print(f"    과락 group {g.name}: {' + '.join(g.subjects)}{also}", markup=False)
            if ed.note:
                out.print(f"    note: {ed.note}", markup=False)
        for src in bp.sources:
            flag = "verified" if src.verified else "[yellow]unverified[/]"
            url = f" <{escape(src.url)}>" if src.url else ""
            out.print(f"  source {src.id}: {escape(src.title)}{url} ({flag})"
                      f"{' — ' + escape(src.note) if src.note else ''}")
        for u in bp.unverified:
            out.print(f"  [yellow]unverified:[/] {u}")
    return 0


def rule_summary(bp: Any) -> str:
    """The pass rule in one cell: its kind, its lines, and the latest announced cut."""
    from examqa.exams import format_points

    rule = bp.pass_rule
    basis = "평균" if rule.basis == "subject_mean" else "총점"
    lines = [f"과목 ≥ {format_points(rule.floor_percent)}%"]
    if rule.total_percent:
        lines.insert(0, f"{basis} ≥ {format_points(rule.total_percent)}%")
    if rule.kind == "part":
        return "시험의 일부: 판정 불가 (선택형 점수만)"
    if rule.kind == "rank":
        latest = max(rule.cuts, key=lambda c: c.year, default=None)
        cut = f"; 합격선 {latest.year} {latest.published}" if latest else ""
        return "순위: " + ", ".join(lines) + f" 충족자 중 고득점순{cut}"
    return ", ".join(lines)


def _cite(bp: Blueprint, source: str | None) -> str:
    """``[title <url>]`` of a source id, or ``[no source]``."""
    src = bp.source(source)
    if src is None:
        return "[no source]"
    return f"[{src.title}{' <' + src.url + '>' if src.url else ''}{'' if src.verified else ', unverified'}]"


def configure_validate(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``examqa validate``."""
    parser.add_argument("bank", type=Path, metavar="BANK", help="A bank file or a folder of bank files.")
    parser.add_argument("--exam", required=True, metavar="EXAM", help="Exam id (see `examqa exams`).")
    parser.add_argument("--bank-format", dest="bank_format", metavar="NAME", help="Override format detection.")
    parser.add_argument("--edition", metavar="ID", help="Blueprint edition to check against.")
    parser.add_argument("--paper", metavar="PAPER",
                        help="Check one paper of a bank that holds several (its year, e.g. 2020, or 회차, e.g. 43회).")


def run_validate(args: argparse.Namespace) -> int:
    """Every problem in a bank, errors and warnings in one stream sorted by file and line (stdout), then a
    count; exit 2 if any is an error."""
    from examqa.banks import validate_bank
    from examqa.exams import get_exam

    entry = get_exam(args.exam)
    problems = validate_bank(args.bank, entry.blueprint, args.bank_format, args.edition, args.paper)
    lines = [str(p) for p in problems]
    n_err = sum(p.severity == "error" for p in problems)
    lines.append(f"{args.bank}: {n_err} error(s), {len(problems) - n_err} warning(s)")
    sys.stdout.write("\n".join(lines) + "\n")
    return 2 if n_err else 0


def configure_schema(parser: argparse.ArgumentParser) -> None:
    """``examqa schema`` takes no arguments."""


def run_schema(args: argparse.Namespace) -> int:
    """The JSON schema of reports (versioned by schema_version)."""
    from examqa.exams import Report

    sys.stdout.write(json.dumps(Report.model_json_schema(mode="serialization"), ensure_ascii=False, indent=2)
                     + "\n")
    return 0


def configure_tiny_model(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``examqa tiny-model``."""
    parser.add_argument("path", nargs="?", type=Path, metavar="PATH",
                        help="Where to build it (default: a cache folder).")


def run_tiny_model(args: argparse.Namespace) -> int:
    """Build the tiny random-weight EXAONE-4.0 test model and print its folder."""
    from examqa.testing import build_tiny_exaone, tiny_model_dir

    folder = build_tiny_exaone(args.path) if args.path is not None else tiny_model_dir()
    sys.stdout.write(f"{folder}\n")
    return 0
