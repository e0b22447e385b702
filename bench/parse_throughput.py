"""How fast ``parse_response`` reads answers: calls per second on realistic completions, and time
against completion length up to 1 MB (it must stay linear: degenerate repetition loops are real).

A script, not a test: it prints Markdown tables for docs/benchmarks.md ("Reading answers").

    .venv/bin/python bench/parse_throughput.py                  # about 2 minutes on a quiet 2-core machine
    .venv/bin/python bench/parse_throughput.py --json out.json  # every figure, machine-readable
    git show 045165a:src/examqa/parsing.py > /tmp/parsing_before.py
    .venv/bin/python bench/parse_throughput.py --baseline /tmp/parsing_before.py   # and an older parser
    git archive adb19da src/examqa/reading | tar -x -C /tmp/before                 # an older reading/ package
    .venv/bin/python bench/parse_throughput.py --baseline /tmp/before/src/examqa/reading

The realistic set is tests/data/parsing/completions.json: hybrid-model completions (reasoning, then an
answer), each parsed as the engine parses it. Two rows split it by how the answer is read: a label
after a marker or in ``\\boxed{}`` (most real outputs), or otherwise (a choice's text, answer
sentences without a marker, refusals; these cost more). Its reasonings are short (a few hundred
characters); real traces run to thousands of tokens, so a last row repeats each reasoning to 8,000
characters (the answer unchanged). Each completion is read knowing what its item asks (the item's
``stem``: ``negative=`` from its negative ask, as a run reads it); a baseline parser that takes no
``negative`` is called without it. Each repeat parses a set ``--passes`` times, parsers interleaved
so that load drifts hit all of them; the table gives calls/s for the median, fastest and slowest
repeat. The length table parses one completion per shape, grown to 1k/10k/100k/1M characters: a
long reasoning trace with a short answer, and answer parts that are repetition loops. Time per
character must not grow with the length.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import REPO, machine, table
from examqa.exams.features import negative_ask
from examqa.reading.parse import parse_response

EVAL_SET = REPO / "tests" / "data" / "parsing" / "completions.json"
LENGTHS = (1_000, 10_000, 100_000, 1_000_000)
LONG_REASONING = 8_000
LAW = ("보험료 감액 청구", "계약 해지의 통지", "보험금 청구권의 소멸", "고지의무 위반의 효과", "위험 변경의 통지")

Call = tuple[str, tuple[str, ...], bool, str, bool]
Parse = Callable[..., Any]


def realistic_calls(reasoning_chars: int | None = None) -> list[Call]:
    """Every completion of the evaluation set with its choices, mode and label style; with
    ``reasoning_chars``, each reasoning is repeated to that length."""
    doc = json.loads(EVAL_SET.read_text(encoding="utf-8"))
    calls = []
    for case in doc["cases"]:
        item = doc["items"][case["item"]]
        thought = doc["reasonings"].get(case.get("reasoning", ""), "")
        if reasoning_chars and thought:
            thought = (thought * (reasoning_chars // len(thought) + 1))[:reasoning_chars]
        if case["mode"] == "plain":
            text, reasoning = case["answer"], False
        elif case["mode"] == "truncated":
            text, reasoning = thought, True
        else:
            text, reasoning = thought + "</think>\n\n" + case["answer"], True
        negative = negative_ask(item["stem"]) is not None
        calls.append((text, tuple(item["choices"]), reasoning, item.get("label_style", "number"), negative))
    return calls


def _grow(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def shapes(length: int) -> dict[str, tuple[str, bool]]:
    """Completions of ``length`` characters: (text, reasoning mode)."""
    thinking = "①은 조문과 같다. ②도 맞다. 정답은 ③일까? \\boxed{3}인지 다시 보자.\n"
    loop = "생각</think>"
    return {
        "long reasoning, short answer": (_grow(thinking, length) + "</think>\n\n**정답: ③**\n\n해설: ①은 맞다.", True),
        "truncated reasoning": (_grow(thinking, length), True),
        "answer loop: 정답: ③이 아니라": (loop + _grow("정답: ③이 아니라 ", length), True),
        "answer loop: answer is": (loop + _grow("The answer is ", length), True),
        "answer loop: ①": (loop + _grow("①", length), True),
        "answer loop: 1. ": (loop + _grow("1. ", length), True),
        "answer loop: prose line": (loop + _grow("보험금 청구권의 소멸시효를 다시 검토해 보자.\n", length), True),
        "answer loop: 옳지 않은 것은": (loop + _grow("옳지 않은 것은 보험료 감액 청구이고 ", length), True),
        "answer loop: <think>": (_grow("<think>", length), False),
        "answer loop: \\boxed{": (loop + _grow("\\boxed{", length), True),
    }


def timed(parse: Parse, calls: list[Call], passes: int) -> float:
    """Seconds for ``passes`` passes over ``calls`` (garbage collection on, as in a real run)."""
    polar = "negative" in inspect.signature(parse).parameters
    gc.collect()
    start = time.perf_counter()
    for _ in range(passes):
        for text, choices, reasoning, style, negative in calls:
            if polar:
                parse(text, choices, reasoning=reasoning, label_style=style, negative=negative)
            else:
                parse(text, choices, reasoning=reasoning, label_style=style)
    return time.perf_counter() - start


class _Renamed(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports a copy of a ``reading/`` package as ``baseline_reading``, its ``examqa.reading.`` imports
    pointed at the copy, compiled from source (never from, or into, the copy's ``__pycache__``)."""

    NAME = "baseline_reading"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname == self.NAME:
            return importlib.util.spec_from_loader(fullname, self, origin=str(self.folder / "__init__.py"),
                                                   is_package=True)
        if fullname.startswith(self.NAME + "."):
            file = self.folder / (fullname.split(".", 1)[1] + ".py")
            return importlib.util.spec_from_loader(fullname, self, origin=str(file)) if file.is_file() else None
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        if module.__name__ == self.NAME:
            module.__path__ = [str(self.folder)]
            return  # the package's own __init__ (lazy exports of examqa.reading) is not needed
        origin = module.__spec__.origin
        source = Path(origin).read_text(encoding="utf-8").replace("examqa.reading.", self.NAME + ".")
        module.__file__ = origin
        exec(compile(source, origin, "exec", dont_inherit=True), module.__dict__)


def load_baseline(path: Path) -> Parse:
    """``parse_response`` from another parser: a module file (an older examqa/parsing.py) or a copy of an
    older ``examqa/reading`` package folder (loaded under another name, so both versions run side by side)."""
    if path.is_dir():
        sys.meta_path.insert(0, _Renamed(path))
        parse_from_package: Parse = importlib.import_module(f"{_Renamed.NAME}.parse").parse_response
        return parse_from_package
    spec = importlib.util.spec_from_file_location("baseline_parsing", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    parse: Parse = module.parse_response
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats of the realistic set (default 7)")
    parser.add_argument("--passes", type=int, default=10, help="passes over the set per repeat (default 10)")
    parser.add_argument("--max-length", type=int, default=LENGTHS[-1], help="longest completion (default 1M)")
    parser.add_argument("--baseline", type=Path,
                        help="also time parse_response from this parsing.py file or copy of a reading/ package")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)

    load = os.getloadavg()
    print(f"load average before start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}  "
          f"({os.cpu_count()} CPUs, Python {sys.version.split()[0]})\n")
    parsers: dict[str, Parse] = {"examqa": parse_response}
    if args.baseline:
        parsers[f"baseline ({args.baseline.name})"] = load_baseline(args.baseline)
    calls = realistic_calls()
    marked = [c for c in calls if parse_response(c[0], c[1], reasoning=c[2], label_style=c[3],  # type: ignore[arg-type]
                                                 negative=c[4]).method in ("marker", "boxed")]
    sets = {"evaluation set": calls,
            "  read as a label after a marker or in \\boxed": marked,
            "  read otherwise (text, answer sentences, none)": [c for c in calls if c not in marked],
            f"evaluation set, reasoning {LONG_REASONING:,} chars": realistic_calls(LONG_REASONING)}
    realistic: dict[str, dict[str, Any]] = {}
    rows: list[list[Any]] = []
    for set_name, subset in sets.items():
        for parse in parsers.values():
            timed(parse, subset, 1)  # warm-up: regex compilation, the per-item choice index cache
        seconds: dict[str, list[float]] = {name: [] for name in parsers}
        for _ in range(args.repeats):
            for name, parse in parsers.items():
                seconds[name].append(timed(parse, subset, args.passes))
        n = len(subset) * args.passes
        for name in parsers:
            rates = sorted(n / s for s in seconds[name])
            figures = {"calls": n, "seconds": seconds[name], "calls_per_s_median": statistics.median(rates),
                       "calls_per_s_best": rates[-1], "calls_per_s_worst": rates[0],
                       "completions": len(subset), "mean_chars": sum(len(c[0]) for c in subset) / len(subset)}
            realistic[f"{set_name} / {name}"] = figures
            rows.append([set_name, name, len(subset), f"{figures['mean_chars']:,.0f}", figures["calls_per_s_median"],
                         figures["calls_per_s_best"], figures["calls_per_s_worst"],
                         1e6 / figures["calls_per_s_median"]])
    print(f"## Realistic completions ({len(calls)} from tests/data/parsing/completions.json; "
          f"{args.repeats} repeats of {args.passes} passes)\n")
    print(table(["completions", "parser", "n", "mean chars", "calls/s median", "calls/s best", "calls/s worst",
                 "µs/call median"], rows))

    scaling: dict[str, dict[str, float]] = {}
    lengths = [length for length in LENGTHS if length <= args.max_length]
    for length in lengths:
        for name, (text, reasoning) in shapes(length).items():
            tries = 3 if length < 1_000_000 else 1
            best = min(timed(parse_response, [(text, LAW, reasoning, "number", False)], 1) for _ in range(tries))
            scaling.setdefault(name, {})[str(length)] = best
    print("\n## Time against completion length (ms per call, best of 3; 1 try at 1M), and ns per character\n")
    headers = ["completion shape", *(f"{length // 1000}k ms" for length in lengths), "ns/char at 1k",
               f"ns/char at {lengths[-1] // 1000}k"]
    scale_rows: list[list[Any]] = []
    for name, by_length in scaling.items():
        row: list[Any] = [name, *(by_length[str(length)] * 1e3 for length in lengths)]
        row += [by_length[str(lengths[0])] / lengths[0] * 1e9, by_length[str(lengths[-1])] / lengths[-1] * 1e9]
        scale_rows.append(row)
    print(table(headers, scale_rows))

    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "load_average": load, "realistic": realistic,
                                         "scaling_seconds": scaling}, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
