"""examqa's overhead over bare ``model.generate`` on the tiny EXAONE 4.0 model (CPU).

    python bench/hf_overhead.py                       # 48 items, 64 new tokens, batch 8, 5 timed runs each
    python bench/hf_overhead.py --bank ../shared/data/loss-adjuster/2020 --threads 1   # the 120-item paper
    python bench/hf_overhead.py --profile             # plus a cProfile of one examqa run

Two things are timed, alternately (5 runs each by default; median and minimum reported), after one
untimed warm-up of each:

* **examqa** — ``examqa grade loss-adjuster --bank BANK --model TINY --temperature 0 --max-new-tokens N
  --batch-size B --out DIR --json``, called in-process through the CLI (``examqa.cli.run_argv``, so Python
  start-up and the first import of torch/transformers are outside both measurements; the warm-up pays
  them). Included: bank loading and validation, prompt rendering, model and tokenizer loading
  (``HFBackend``), chat templating, tokenizing, ``generate``, decoding, answer parsing, grading, an
  fsync'd ``samples.jsonl`` line per sample, the manifest, scoring and the JSON/Markdown/HTML reports.
  stdout/stderr go to a buffer, as when the JSON is piped (no progress bar).
* **bare** — ``AutoTokenizer``/``AutoModelForCausalLM.from_pretrained`` on the same folder (float32,
  like examqa's ``--dtype auto`` on CPU), then for each batch of the **same chat-templated prompts
  examqa stored in samples.jsonl**, in the same order and batch size: left-padded tokenizing,
  ``model.generate(max_new_tokens=N, do_sample=False)`` under ``torch.inference_mode()``, and decoding
  each row up to its end-of-turn token. examqa batches by length (longest first) and stores samples as
  they come, so samples.jsonl holds them in that order and bare runs the same batches; a third side,
  **bare in bank order**, runs the same prompts in the bank's order, to show what the sorting buys.

Both phases are reported: the whole run (load + generate) and generation alone (examqa's own
``wall_seconds`` in report.json, which spans generate → parse → store; bare: tokenize → generate →
decode). The completion-token totals of both are printed and must match: same prompts, same batches,
greedy decoding, so the same tokens are generated.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Never reach for the hub: everything here is a local folder.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from common import EXAM, machine, median, read_samples, table, write_bank

TARGET_RATIO = 1.10
"""examqa's whole run against bare load + generate."""
TARGET_GENERATION = 1.05
"""examqa's generation phase (generate → parse → store) against bare tokenize → generate → decode."""


def examqa_run(bank: Path, model_dir: Path, out_dir: Path, max_new_tokens: int, batch_size: int,
               profiler: cProfile.Profile | None = None, limit: int | None = None) -> dict[str, Any]:
    """One ``examqa grade`` run in-process; returns wall times and token totals."""
    from examqa.cli import run_argv

    args = ["grade", EXAM, "--bank", str(bank), "--model", str(model_dir), "--temperature", "0",
            "--max-new-tokens", str(max_new_tokens), "--batch-size", str(batch_size), "--out", str(out_dir),
            "--json"]
    if limit is not None:
        args += ["--limit", str(limit)]
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        t0, c0 = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        try:
            code = run_argv(args)
        finally:
            if profiler is not None:
                profiler.disable()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if code != 0:
        raise RuntimeError(f"examqa grade exited {code}:\n{sink.getvalue()[-2000:]}")
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    records = read_samples(out_dir)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "generate_s": float(report["run"]["wall_seconds"]),
        "completion_tokens": sum(r["completion_tokens"] for r in records),
        "prompts": [r["prompt"] for r in records],
        "ids": [r["id"] for r in records],
        "outputs": [r["output"] for r in records],
    }


def bare_run(model_dir: Path, prompts: list[str], max_new_tokens: int, batch_size: int) -> dict[str, Any]:
    """Load the model and tokenizer, then batched greedy ``generate`` on ``prompts``, decoding each row."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0, c0 = time.perf_counter(), time.process_time()
    tokenizer: Any = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.padding_side = "left"
    model: Any = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.eval()
    eos = tokenizer.eos_token_id
    t1 = time.perf_counter()
    outputs: list[str] = []
    tokens = 0
    for start in range(0, len(prompts), batch_size):
        enc = tokenizer(prompts[start:start + batch_size], return_tensors="pt", padding=True,
                        add_special_tokens=False)
        with torch.inference_mode():
            out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
        for row in out[:, enc["input_ids"].shape[1]:].tolist():
            n = row.index(eos) + 1 if eos in row else len(row)  # through end-of-turn; padding after it
            tokens += n
            outputs.append(tokenizer.decode(row[:n], skip_special_tokens=True))
    t2 = time.perf_counter()
    return {"wall_s": t2 - t0, "cpu_s": time.process_time() - c0, "generate_s": t2 - t1,
            "completion_tokens": tokens, "outputs": outputs}


def print_profile(profiler: cProfile.Profile, top: int) -> None:
    """Where one examqa run spends its time: inside ``model.generate`` or not, and examqa's own functions."""
    stats = pstats.Stats(profiler)
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = max(entry[3] for entry in raw.values())

    def cumulative(match: str, name: str) -> float:
        return float(sum(entry[3] for (file, _, func), entry in raw.items() if func == name and match in file))

    generate = cumulative("generation", "generate")
    fsync = sum(entry[3] for (_, _, func), entry in raw.items() if "posix.fsync" in func)
    print(f"\n### cProfile of one examqa run: {total:.3f} s in all, {generate:.3f} s inside model.generate, "
          f"{total - generate:.3f} s elsewhere (of which fsync {fsync:.3f} s)\n")
    print(f"examqa's own functions, top {top} by cumulative time (cumulative includes what they call, "
          "generate too):\n")
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(r"/examqa/", top)
    print("```\n" + buffer.getvalue().strip() + "\n```")
    print(f"\ntop {top} by own time, everything:\n")
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats("tottime").print_stats(top)
    print("```\n" + buffer.getvalue().strip() + "\n```")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the results as Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=None,
                        help="bank size (default 48), or with --bank only its first N items")
    parser.add_argument("--bank", type=Path, default=None,
                        help="a loss-adjuster paper (file or folder), e.g. ../shared/data/loss-adjuster/2020 "
                             "(default: the 48-item bench bank)")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="token budget per answer (default 64)")
    parser.add_argument("--batch-size", type=int, default=8, help="prompts per generate call (default 8)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each (default 5; median)")
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the tiny EXAONE)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--profile", action="store_true", help="also profile one examqa run with cProfile")
    parser.add_argument("--profile-top", type=int, default=30, help="rows per profile table (default 30)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)

    import torch
    import transformers

    from examqa.testing import tiny_model_dir

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    hf_logging: Any = transformers.utils.logging
    hf_logging.disable_progress_bar()  # the "Loading weights" bar, on both sides

    model_dir = args.model or tiny_model_dir()
    work = Path(tempfile.mkdtemp(prefix="examqa-bench-hf-"))
    try:
        bank = args.bank if args.bank is not None else write_bank(work / "bank.jsonl", args.items or 48)
        limit = args.items if args.bank is not None else None
        runs = iter(range(10_000))

        def run_examqa(profiler: cProfile.Profile | None = None) -> dict[str, Any]:
            out = work / f"run-{next(runs)}"
            result = examqa_run(bank, model_dir, out, args.max_new_tokens, args.batch_size, profiler, limit)
            shutil.rmtree(out)  # keep the disk use flat; the figures are already read
            return result

        load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        # Warm-up: imports, lazy initialisations, the file cache. Not counted.
        first = run_examqa()
        prompts = first["prompts"]
        # examqa batches by length (samples.jsonl holds them in the order generated): the same prompts in
        # the bank's order show what that sorting buys.
        from examqa.banks import bank_for_exam

        position = {q.id: i for i, q in enumerate(bank_for_exam(bank, EXAM, None)[0].questions)}
        in_bank_order = [p for _, p in sorted(zip(first["ids"], prompts, strict=True), key=lambda x: position[x[0]])]
        bare_run(model_dir, prompts, args.max_new_tokens, args.batch_size)

        ex_runs: list[dict[str, Any]] = []
        bare_runs: list[dict[str, Any]] = []
        bank_order_runs: list[dict[str, Any]] = []
        for _ in range(args.repeats):  # alternate, so drift (thermal, other load) hits both alike
            ex_runs.append(run_examqa())
            bare_runs.append(bare_run(model_dir, prompts, args.max_new_tokens, args.batch_size))
            bank_order_runs.append(bare_run(model_dir, in_bank_order, args.max_new_tokens, args.batch_size))

        n = len(prompts)
        info = machine()
        ex_tokens, bare_tokens = ex_runs[-1]["completion_tokens"], bare_runs[-1]["completion_tokens"]
        same_text = sum(a == b for a, b in zip(ex_runs[-1]["outputs"], bare_runs[-1]["outputs"], strict=True))

        print(f"## examqa vs bare model.generate — tiny EXAONE 4.0, {n} items, max_new_tokens "
              f"{args.max_new_tokens}, batch {args.batch_size}, greedy, reasoning mode\n")
        print(f"machine: {info['cpus']} CPU(s) ({info['cpu']}), torch threads {torch.get_num_threads()}, "
              f"load average before {load_before}, Python {info['python']}, torch {info['torch']}, "
              f"transformers {info['transformers']}, examqa {info['examqa']}\n")
        rows: list[list[Any]] = []
        ratios: dict[str, dict[str, float]] = {}
        for label, key in (("whole run, wall", "wall_s"), ("whole run, CPU", "cpu_s"),
                           ("generation, wall", "generate_s")):
            ex = [r[key] for r in ex_runs]
            bare = [r[key] for r in bare_runs]
            ratios[key] = {"median": median(ex) / median(bare), "min": min(ex) / min(bare)}
            rows.append([f"examqa, {label}", ", ".join(f"{v:.2f}" for v in ex), median(ex), min(ex),
                         ex_tokens])
            rows.append([f"bare, {label}", ", ".join(f"{v:.2f}" for v in bare), median(bare), min(bare),
                         bare_tokens])
            rows.append([f"ratio examqa/bare, {label}", "", ratios[key]["median"], ratios[key]["min"], ""])
        order = [r["generate_s"] for r in bank_order_runs]
        rows.append(["bare in bank order (unsorted), generation, wall", ", ".join(f"{v:.2f}" for v in order),
                     median(order), min(order), bank_order_runs[-1]["completion_tokens"]])
        print(table(["", "runs (s)", "median (s)", "min (s)", "completion tokens"], rows))
        print(f"\ngeneration phase examqa/bare: median {ratios['generate_s']['median']:.3f}, min "
              f"{ratios['generate_s']['min']:.3f} (target ≤ {TARGET_GENERATION:.2f}); bare in the bank's order "
              f"takes {median(order) / median([r['generate_s'] for r in bare_runs]):.3f}× bare in examqa's "
              "length-sorted order")
        ex_wall = median([r["wall_s"] for r in ex_runs])
        print(f"\nexamqa: {n / ex_wall:.2f} items/s, {ex_tokens / ex_wall:.0f} completion tokens/s (median "
              f"whole run)")
        print(f"overhead ratio examqa/bare, whole run: median {ratios['wall_s']['median']:.3f}, "
              f"min {ratios['wall_s']['min']:.3f}, CPU {ratios['cpu_s']['median']:.3f} "
              f"(target ≤ {TARGET_RATIO:.2f})")
        ex_min, bare_min = min(r["wall_s"] for r in ex_runs), min(r["wall_s"] for r in bare_runs)
        bare_med = median([r["wall_s"] for r in bare_runs])
        print(f"examqa's extra time per item: {(ex_wall - bare_med) / n * 1000:.2f} ms (medians), "
              f"{(ex_min - bare_min) / n * 1000:.2f} ms (minima)")
        print(f"completion tokens: examqa {ex_tokens}, bare {bare_tokens} "
              f"({'equal' if ex_tokens == bare_tokens else 'DIFFERENT'}); identical texts {same_text}/{n}")
        if ex_tokens != bare_tokens:
            print("warning: the two sides generated different token counts; the ratio compares unequal work",
                  file=sys.stderr)
        if ratios["wall_s"]["median"] > TARGET_RATIO and not args.profile:
            print("over target: rerun with --profile to see where the time goes", file=sys.stderr)

        if args.profile:
            profiler = cProfile.Profile()
            run_examqa(profiler)
            print_profile(profiler, args.profile_top)

        if args.json is not None:
            args.json.write_text(json.dumps({
                "machine": info, "torch_threads": torch.get_num_threads(), "items": n,
                "max_new_tokens": args.max_new_tokens, "batch_size": args.batch_size,
                "examqa": [{k: v for k, v in r.items() if k in ("wall_s", "cpu_s", "generate_s", "completion_tokens")}
                                          for r in ex_runs],
                "bare": [{k: v for k, v in r.items() if k in ("wall_s", "cpu_s", "generate_s", "completion_tokens")}
                         for r in bare_runs],
                "ratios": ratios, "identical_texts": same_text, "load_average_before": load_before,
            }, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
