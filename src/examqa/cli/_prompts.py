"""``examqa prompts EXAM --bank B --item ID``: the exact messages a run sends for one item."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from examqa.cli._common import emit_json


def configure_prompts(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``examqa prompts``."""
    parser.add_argument("exam", metavar="EXAM", help="Exam id, e.g. loss-adjuster (see `examqa exams`).")
    parser.add_argument("--bank", required=True, type=Path, metavar="BANK",
                        help="Question bank: a file or a folder of files.")
    parser.add_argument("--item", required=True, metavar="ID", help="The id of the question to render.")
    parser.add_argument("--bank-format", dest="bank_format", metavar="NAME", help="Override format detection.")
    parser.add_argument("--protocol", default="examqa", metavar="NAME",
                        help="examqa (default) or kmmlu-pro (the paper's prompt; see docs/protocols.md).")
    parser.add_argument("--no-thinking", action="store_true", help="As a non-reasoning run would ask it.")
    parser.add_argument("--prompts", type=Path, metavar="DIR",
                        help="Folder of prompt templates (system.j2, user.j2) to use instead.")
    parser.add_argument("--json", dest="as_json", action="store_true",
                        help="Print the messages as JSON (a list of {role, content}).")


def run_prompts(args: argparse.Namespace) -> int:
    """Print the rendered messages of one item, exactly as ``examqa.prompts.templates.render_item`` returns them."""
    from examqa.banks import load_bank
    from examqa.errors import InputError
    from examqa.prompts import render_item

    bank = load_bank(args.bank, args.bank_format)
    question = next((q for q in bank.questions if q.id == args.item), None)
    if question is None:
        close = difflib.get_close_matches(args.item, [q.id for q in bank.questions], n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"the bank has {len(bank.questions)} item(s)"
        raise InputError(f"no item {args.item!r} in the bank", path=args.bank, hint=hint)
    messages = render_item(args.exam, question, protocol=args.protocol, thinking=not args.no_thinking,
                           prompts=args.prompts)
    if args.as_json:
        emit_json(list(messages))
        return 0
    sys.stdout.write("\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages) + "\n")
    return 0
