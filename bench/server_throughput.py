"""examqa's openai backend against a real vLLM server on the tiny EXAONE 4.0 model (CPU).

    python bench/server_throughput.py                        # the default run (a few minutes)
    python bench/server_throughput.py --skip-lm-eval         # only the concurrency sweep
    EXAMQA_VLLM_VENV=/path/to/venv python bench/server_throughput.py

One vLLM server (``examqa.testing.VLLMServer``: 127.0.0.1 only, ``deepseek_v3`` reasoning parser, the
tiny model served as ``tiny-exaone``) answers everything. It runs under ``timeout`` as well, so it stops
itself after ``--server-lifetime`` seconds even if this script is killed outright. Every request is the
same 48 loss-adjuster items (``bench/common.py``), reasoning mode, greedy (temperature 0), a fixed
``max_tokens``, no stop strings.

1. **Concurrency sweep** (1, 2, 4, 8, 16). At each level, alternately:
   * examqa — ``examqa grade loss-adjuster --backend openai --base-url URL --model tiny-exaone
     --concurrency C --temperature 0 --max-new-tokens N --out DIR --json``, in-process through the
     CLI: health check, prompt rendering, requests, parsing, grading, an fsync'd line per
     sample, reports;
   * raw aiohttp — a minimal ``aiohttp.ClientSession`` (the library examqa's backend sends its requests
     with, and lm-eval's too) with C workers POSTing the **same JSON bodies** (built by
     ``OpenAIBackend.request_body``) and keeping the JSON; nothing else. It runs as a subprocess of this
     interpreter, so it imports the same aiohttp as examqa, and is timed by its own clock (interpreter
     start-up excluded);
   * raw httpx — the same minimal client on ``httpx.AsyncClient`` (what examqa's backend used before it
     moved to aiohttp), kept as a second yardstick for what the HTTP library alone costs.
   The client overhead is examqa's generation time (report.json ``wall_seconds``) minus the raw aiohttp
   client's wall time, per item; next to it, the mean request latency each client saw and the mean
   time vLLM's engine spent per request (``vllm:e2e_request_latency_seconds`` from ``/metrics``; it
   excludes the HTTP/API-server layer, which every client pays alike).
2. **examqa vs lm-evaluation-harness** (``local-chat-completions``, ``num_concurrent`` = C) on the same
   server and prompts, both as subprocesses (what a user waits for, interpreter start-up included):
   lm-eval with ``until: []`` (no stop strings: the same work as examqa) and with lm-eval's default
   stop (``until`` unset → ``["\\n\\n"]``, which vLLM applies to the reasoning too). Tokens generated
   come from the server's ``vllm:generation_tokens`` counter, so the work each did is visible. The
   messages lm-eval sent are checked against examqa's, from its ``--log_samples`` output.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from common import EXAM, machine, median, read_samples, table, version_of, write_bank

os.environ.setdefault("HF_HUB_OFFLINE", "1")

MODEL_NAME = "tiny-exaone"
LM_EVAL_VENV = Path.home() / ".cache" / "examqa" / "lm-eval-venv"
METRICS = {
    "engine_s": "vllm:e2e_request_latency_seconds_sum",
    "requests": "vllm:e2e_request_latency_seconds_count",
    "generation_tokens": "vllm:generation_tokens_total",
    "prompt_tokens": "vllm:prompt_tokens_total",
}


# ------------------------------------------------------------------------------------------- server


def bounded_server(model_dir: Path, log_path: Path, lifetime_s: int, venv: Path | None) -> Any:
    """A :class:`examqa.testing.VLLMServer` whose command runs under ``timeout``: it stops by itself."""
    from examqa.testing import VLLMServer, vllm_python

    python = vllm_python(venv) if venv is not None else vllm_python()
    if python is None:
        raise SystemExit("no vLLM virtualenv found: run scripts/vllm-venv.sh or set EXAMQA_VLLM_VENV")

    class BoundedServer(VLLMServer):
        def command(self) -> list[str]:
            # timeout signals its whole process group, so the engine core goes too.
            return ["timeout", "--kill-after=15", str(lifetime_s), *super().command()]

    return BoundedServer(model_dir, python=python, log_path=log_path, startup_timeout_s=240.0)


def server_metrics(base_url: str) -> dict[str, float]:
    """The counters in :data:`METRICS`, summed over their labels, from the server's ``/metrics``."""
    text = httpx.get(base_url.removesuffix("/v1") + "/metrics", timeout=10.0).text
    values = dict.fromkeys(METRICS, 0.0)
    for line in text.splitlines():
        for key, name in METRICS.items():
            if line.startswith(name + "{") or line.startswith(name + " "):
                values[key] += float(line.rsplit(" ", 1)[1])
    return values


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What the server did between two :func:`server_metrics` readings."""
    return {k: after[k] - before[k] for k in before}


# ------------------------------------------------------------------------------------------- clients


def examqa_args(bank: Path, base_url: str, concurrency: int, max_tokens: int, out: Path) -> list[str]:
    """The ``examqa grade`` arguments of a server run."""
    return ["grade", EXAM, "--bank", str(bank), "--backend", "openai", "--base-url", base_url, "--model",
            MODEL_NAME, "--concurrency", str(concurrency), "--temperature", "0", "--max-new-tokens",
            str(max_tokens), "--out", str(out), "--json"]


def examqa_inprocess(args: list[str], out: Path, base_url: str) -> dict[str, Any]:
    """One examqa run through the CLI (``run_argv``); returns timings, tokens and server counters."""
    from examqa.cli import run_argv

    before = server_metrics(base_url)
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        t0 = time.perf_counter()
        code = run_argv(args)
        wall = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(f"examqa grade exited {code}:\n{sink.getvalue()[-2000:]}")
    server = delta(before, server_metrics(base_url))
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    records = read_samples(out)
    errors = [r for r in records if r["outcome"] == "error"]
    if errors or report["run"]["errors"]:
        raise SystemExit(f"examqa run had failed requests: {errors[:1] or report['run']['errors']}")
    return {
        "wall_s": wall, "generate_s": float(report["run"]["wall_seconds"]),
        "latency_s": [r["latency_s"] for r in records],
        "completion_tokens": sum(r["completion_tokens"] for r in records),
        "texts": {r["id"]: r["output"] for r in records}, "server": server,
    }


async def _raw(url: str, bodies: list[tuple[str, dict[str, Any]]], concurrency: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    texts: dict[str, str] = {}
    tokens = 0
    pending = iter(bodies)
    async with httpx.AsyncClient(timeout=600.0, limits=limits) as client:

        async def worker() -> None:
            nonlocal tokens
            for key, body in pending:
                t0 = time.perf_counter()
                response = await client.post(url, json=body)
                response.raise_for_status()
                data = response.json()
                latencies.append(time.perf_counter() - t0)
                message = data["choices"][0]["message"]
                reasoning = message.get("reasoning_content") or message.get("reasoning")
                content = message.get("content")
                # The same record examqa keeps: reasoning</think>answer, or the open reasoning alone.
                texts[key] = reasoning if content is None else f"{reasoning}</think>{content}"
                tokens += data["usage"]["completion_tokens"]

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {"wall_s": wall, "latency_s": latencies, "completion_tokens": tokens, "texts": texts}


def raw_run(base_url: str, bodies: list[tuple[str, dict[str, Any]]], concurrency: int) -> dict[str, Any]:
    """The same bodies through a bare ``httpx.AsyncClient`` with ``concurrency`` workers."""
    before = server_metrics(base_url)
    result = asyncio.run(_raw(base_url + "/chat/completions", bodies, concurrency))
    result["server"] = delta(before, server_metrics(base_url))
    return result


# The same minimal client on aiohttp, the library examqa's backend (and lm-eval) sends requests with. It runs
# in a subprocess of this interpreter, so the aiohttp is examqa's own: the yardstick for "what examqa adds".
AIOHTTP_CLIENT = """\
import asyncio, json, sys, time
import aiohttp
url, path, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
bodies = [tuple(json.loads(line)) for line in open(path, encoding="utf-8")]
async def main():
    pending, latencies, texts, tokens = iter(bodies), [], {}, 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def worker():
            nonlocal tokens
            for key, body in pending:
                t0 = time.perf_counter()
                async with session.post(url, json=body) as response:
                    response.raise_for_status()
                    data = await response.json()
                latencies.append(time.perf_counter() - t0)
                message = data["choices"][0]["message"]
                reasoning = message.get("reasoning_content") or message.get("reasoning")
                content = message.get("content")
                texts[key] = reasoning if content is None else f"{reasoning}</think>{content}"
                tokens += data["usage"]["completion_tokens"]
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": wall, "latency_s": latencies, "completion_tokens": tokens, "texts": texts}))
asyncio.run(main())
"""


def aiohttp_run(python: Path, base_url: str, bodies: list[tuple[str, dict[str, Any]]], concurrency: int,
                work: Path) -> dict[str, Any]:
    """The same bodies through a bare aiohttp client (a subprocess; its own clock, start-up excluded)."""
    script, data = work / "aiohttp_client.py", work / "bodies.jsonl"
    if not script.exists():
        script.write_text(AIOHTTP_CLIENT, encoding="utf-8")
        data.write_text("".join(json.dumps([k, b], ensure_ascii=False) + "\n" for k, b in bodies), encoding="utf-8")
    before = server_metrics(base_url)
    proc = subprocess.run([str(python), str(script), base_url + "/chat/completions", str(data), str(concurrency)],
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"aiohttp client failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    result["server"] = delta(before, server_metrics(base_url))
    return result


def request_bodies(bank: Path, max_tokens: int) -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, Any]]]:
    """examqa's own request bodies for the bank (id, body), and its messages per item."""
    from examqa.backends.base import Sampling
    from examqa.backends.openai import OpenAIBackend
    from examqa.banks import load_bank
    from examqa.exams.plugins import get_exam
    from examqa.prompts.templates import prompts_for
    from examqa.runs import engine

    entry = get_exam(EXAM)
    loaded = load_bank(bank)
    prompt_set = prompts_for(entry.domain.prompts, None, entry.domain.name)
    requests, _ = engine.build_requests(entry.blueprint, loaded.questions, prompt_set, 1, None)
    # The CLI's sampling for --temperature 0 --max-new-tokens N (reasoning mode, top_p default).
    sampling = Sampling(thinking=True, temperature=0.0, top_p=0.95, max_new_tokens=max_tokens)
    backend = OpenAIBackend(["http://127.0.0.1:1/v1"], MODEL_NAME)
    bodies = [(r.key.split("#")[0], backend.request_body(r, sampling)) for r in requests]
    items = [{"id": r.key.split("#")[0], "messages": [dict(m) for m in r.messages],
              "answer": ",".join(map(str, sorted(q.accepted)))}
             for r, q in zip(requests, loaded.questions, strict=True)]
    return bodies, items


# ------------------------------------------------------------------------------------------- lm-eval


def write_lm_eval_task(folder: Path, items: list[dict[str, Any]], max_tokens: int) -> tuple[str, list[str]]:
    """A local task folder: the dataset (JSONL) and two task YAMLs; returns the system prompt and task names.

    ``examqa_bench_nostop`` sets ``until: []`` (only lm-eval's EOS string, none here, is added);
    ``examqa_bench_default`` leaves ``until`` unset, so lm-eval stops at its fewshot delimiter "\\n\\n".
    Both pass ``chat_template_kwargs.enable_thinking`` through generation_kwargs, as examqa sends it.
    """
    systems = {m["content"] for it in items for m in it["messages"] if m["role"] == "system"}
    if len(systems) != 1 or [m["role"] for m in items[0]["messages"]] != ["system", "user"]:
        raise SystemExit("the benchmark expects one shared system prompt and one user turn per item")
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "items.jsonl"
    data.write_text("".join(json.dumps({"id": it["id"], "user": it["messages"][1]["content"],
                                        "answer": it["answer"]}, ensure_ascii=False) + "\n"
                            for it in items), encoding="utf-8")
    names = []
    for name, until in (("examqa_bench_nostop", "  until: []\n"), ("examqa_bench_default", "")):
        (folder / f"{name}.yaml").write_text(
            f"task: {name}\n"
            "dataset_path: json\n"
            "dataset_kwargs:\n"
            f"  data_files:\n    test: {json.dumps(str(data))}\n"
            "test_split: test\n"
            "output_type: generate_until\n"
            'doc_to_text: "{{user}}"\n'
            'doc_to_target: "{{answer}}"\n'
            "generation_kwargs:\n"
            f"{until}"
            f"  max_gen_toks: {max_tokens}\n"
            "  temperature: 0\n"
            "  do_sample: false\n"
            "  chat_template_kwargs:\n    enable_thinking: true\n"
            "metadata:\n  version: 1\n",
            encoding="utf-8",
        )
        names.append(name)
    return systems.pop(), names


# lm-eval's console script, plus a stopwatch around the one method that sends the requests
# (``TemplateAPI.generate_until``, which local-chat-completions inherits), so its generation phase can be set
# beside examqa's ``wall_seconds``. Nothing else about lm-eval changes.
LM_EVAL_PROBE = """\
import sys, time
from lm_eval.models import api_models
_generate_until = api_models.TemplateAPI.generate_until
def generate_until(self, requests, disable_tqdm=False):
    t0 = time.perf_counter()
    try:
        return _generate_until(self, requests, disable_tqdm)
    finally:
        print(f"EXAMQA_BENCH_GENERATE_S {time.perf_counter() - t0:.6f}", file=sys.stderr, flush=True)
api_models.TemplateAPI.generate_until = generate_until
from lm_eval.__main__ import cli_evaluate
sys.argv[0] = "lm-eval"
sys.exit(cli_evaluate())
"""


def lm_eval_run(python: Path, task_dir: Path, task: str, system: str, base_url: str, concurrency: int,
                out: Path) -> dict[str, Any]:
    """One ``lm-eval run`` subprocess; returns its wall time, its own timings and the server counters."""
    probe = task_dir / "lm_eval_probe.py"
    if not probe.exists():
        probe.write_text(LM_EVAL_PROBE, encoding="utf-8")
    cmd = [str(python), str(probe), "run", "--model", "local-chat-completions", "--model_args",
           f"model={MODEL_NAME},base_url={base_url}/chat/completions,num_concurrent={concurrency},"
           "max_retries=3,tokenized_requests=False",
           "--tasks", task, "--include_path", str(task_dir), "--apply_chat_template",
           "--system_instruction", system, "--predict_only", "--log_samples", "--output_path", str(out)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    before = server_metrics(base_url)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    wall = time.perf_counter() - t0
    server = delta(before, server_metrics(base_url))
    if proc.returncode != 0:
        raise SystemExit(f"lm-eval failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    results = next(out.rglob("results_*.json"))
    samples = [json.loads(line) for f in out.rglob(f"samples_{task}_*.jsonl")
               for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    own = json.loads(results.read_text(encoding="utf-8"))["total_evaluation_time_seconds"]
    generate = [float(line.split()[1]) for line in proc.stderr.splitlines()
                if line.startswith("EXAMQA_BENCH_GENERATE_S ")]
    return {"wall_s": wall, "eval_s": float(own), "generate_s": sum(generate), "server": server,
            "samples": samples}


def sent_messages(sample: dict[str, Any]) -> list[dict[str, str]]:
    """The chat messages lm-eval sent for one logged sample (its first argument: the chat, maybe as JSON)."""
    first = sample["arguments"]["gen_args_0"]["arg_0"]
    if isinstance(first, list) and len(first) == 1 and isinstance(first[0], str):
        first = first[0]  # lm-eval 0.4.13 logs the chat as a one-element list holding its JSON
    messages: list[dict[str, str]] = json.loads(first) if isinstance(first, str) else first
    return messages


def examqa_subprocess(args: list[str], out: Path, base_url: str) -> dict[str, Any]:
    """``python -m examqa.cli grade …`` as a subprocess: interpreter start-up and imports included."""
    before = server_metrics(base_url)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "examqa.cli", *args], capture_output=True, text=True,
                          timeout=900)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"examqa failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {"wall_s": wall, "generate_s": float(report["run"]["wall_seconds"]),
            "server": delta(before, server_metrics(base_url))}


def compare_lm_eval(python: Path, bank: Path, base_url: str, items: list[dict[str, Any]], concurrency: int,
                    max_tokens: int, repeats: int, work: Path) -> tuple[list[list[Any]], list[str], dict[str, Any]]:
    """examqa and lm-eval (both stop settings) as subprocesses, alternately; rows, notes and figures."""
    n = len(items)
    task_dir = work / "lm-eval-task"
    system, tasks = write_lm_eval_task(task_dir, items, max_tokens)
    # Warm-up: the datasets cache of the JSON file, the first import of everything, on both sides.
    lm_eval_run(python, task_dir, tasks[0], system, base_url, concurrency, work / "lm-warm")
    examqa_subprocess(examqa_args(bank, base_url, concurrency, max_tokens, work / "sub-warm"), work / "sub-warm",
                      base_url)
    runs: dict[str, list[dict[str, Any]]] = {"examqa": [], tasks[0]: [], tasks[1]: []}
    last_out = work
    for r in range(repeats):
        last_out = work / f"examqa-sub-{r}"
        runs["examqa"].append(examqa_subprocess(examqa_args(bank, base_url, concurrency, max_tokens, last_out),
                                                last_out, base_url))
        for task in tasks:
            runs[task].append(lm_eval_run(python, task_dir, task, system, base_url, concurrency,
                                          work / f"lm-{task}-{r}"))
    labels = {"examqa": "examqa (subprocess)", tasks[0]: "lm-eval, until: [] (no stop strings)",
              tasks[1]: 'lm-eval, default until ["\\n\\n"]'}
    rows: list[list[Any]] = []
    for key, label in labels.items():
        rs = runs[key]
        wall, gen = median([x["wall_s"] for x in rs]), median([x["generate_s"] for x in rs])
        rows.append([label, wall, n / wall, gen, n / gen, int(rs[-1]["server"]["generation_tokens"]),
                     int(rs[-1]["server"]["requests"])])

    notes = []
    by_id = {it["id"]: it["messages"] for it in items}
    samples = runs[tasks[0]][-1]["samples"]
    same = sum(sent_messages(s) == by_id[s["doc"]["id"]] for s in samples)
    notes.append(f"messages lm-eval sent that are identical to examqa's: {same}/{len(samples)}")
    if same != len(samples):
        diff = next(s for s in samples if sent_messages(s) != by_id[s["doc"]["id"]])
        notes.append(f"first difference: lm-eval {sent_messages(diff)!r} vs examqa {by_id[diff['doc']['id']]!r}")
    truncated = sum(r["outcome"] == "truncated" for r in read_samples(last_out))
    for task in tasks:
        empty = sum(not (s["resps"][0][0] if s["resps"] and s["resps"][0] else None)
                    for s in runs[task][-1]["samples"])
        notes.append(f"{labels[task]}: {empty}/{len(samples)} responses empty (lm-eval keeps only "
                     "message.content, the answer after </think>)")
    notes.append(f"examqa: {truncated}/{n} samples truncated (reasoning never closed), kept with their "
                 "reasoning and graded as truncated")
    figures = {k: [{f: x[f] for f in ("wall_s", "generate_s", "eval_s", "server") if f in x} for x in v]
               for k, v in runs.items()}
    return rows, notes, figures


# ------------------------------------------------------------------------------------------- main


def sweep(bank: Path, base_url: str, bodies: list[tuple[str, dict[str, Any]]], levels: list[int],
          repeats: int, max_tokens: int, work: Path,
          aiohttp_python: Path) -> tuple[list[list[Any]], list[dict[str, Any]]]:
    """The concurrency sweep: rows for the table, and the raw figures."""
    rows: list[list[Any]] = []
    figures: list[dict[str, Any]] = []
    n = len(bodies)
    for c in levels:
        ex_runs, raw_runs, aio_runs = [], [], []
        for r in range(repeats):
            out = work / f"examqa-c{c}-{r}"
            ex_runs.append(examqa_inprocess(examqa_args(bank, base_url, c, max_tokens, out), out, base_url))
            aio_runs.append(aiohttp_run(aiohttp_python, base_url, bodies, c, work))
            raw_runs.append(raw_run(base_url, bodies, c))
        ex_gen = median([x["generate_s"] for x in ex_runs])
        ex_wall = median([x["wall_s"] for x in ex_runs])
        aio_wall = median([x["wall_s"] for x in aio_runs])
        raw_wall = median([x["wall_s"] for x in raw_runs])
        ex_lat = median([sum(x["latency_s"]) / n for x in ex_runs])
        aio_lat = median([sum(x["latency_s"]) / n for x in aio_runs])
        raw_lat = median([sum(x["latency_s"]) / n for x in raw_runs])
        engine = median([x["server"]["engine_s"] / x["server"]["requests"] for x in ex_runs + aio_runs + raw_runs])
        texts = ex_runs[-1]["texts"]
        same_aio = sum(texts[k] == aio_runs[-1]["texts"].get(k) for k in texts)
        same_raw = sum(texts[k] == raw_runs[-1]["texts"].get(k) for k in texts)
        tokens = [x[-1]["completion_tokens"] for x in (ex_runs, aio_runs, raw_runs)]
        # examqa's backend sends with aiohttp, so the bare aiohttp client is the like-for-like yardstick.
        rows.append([c, n / ex_wall, n / ex_gen, n / aio_wall, n / raw_wall, ex_gen / aio_wall,
                     (ex_gen - aio_wall) / n * 1000, ex_lat * 1000, aio_lat * 1000, raw_lat * 1000, engine * 1000,
                     " / ".join(map(str, tokens)), f"{same_aio}/{n}, {same_raw}/{n}"])
        figures.append({"concurrency": c,
                        "examqa": [{k: x[k] for k in ("wall_s", "generate_s", "completion_tokens", "server")}
                                   for x in ex_runs],
                        "raw": [{k: x[k] for k in ("wall_s", "completion_tokens", "server")} for x in raw_runs],
                        "aiohttp": [{k: x[k] for k in ("wall_s", "completion_tokens", "server")} for x in aio_runs],
                        "mean_latency_ms": {"examqa": ex_lat * 1000, "aiohttp": aio_lat * 1000,
                                            "raw": raw_lat * 1000, "engine": engine * 1000},
                        "identical_texts": {"aiohttp": same_aio, "raw": same_raw}})
        print(f"  concurrency {c}: examqa {n / ex_gen:.2f} items/s, raw aiohttp {n / aio_wall:.2f} items/s, "
              f"raw httpx {n / raw_wall:.2f} items/s", file=sys.stderr, flush=True)
    return rows, figures


def main(argv: list[str] | None = None) -> int:
    """Start the server, run the sweep and the lm-eval comparison, print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=48, help="bank size (default 48)")
    parser.add_argument("--max-tokens", type=int, default=128, help="max_tokens per request (default 128)")
    parser.add_argument("--concurrency", default="1,2,4,8,16", help="levels to sweep (default 1,2,4,8,16)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per level and client (default 3; median)")
    parser.add_argument("--lm-eval-concurrency", type=int, default=8, help="num_concurrent for lm-eval (8)")
    parser.add_argument("--lm-eval-python", type=Path, default=LM_EVAL_VENV / "bin" / "python",
                        help=f"python of lm-eval's virtualenv (default {LM_EVAL_VENV}/bin/python)")
    parser.add_argument("--skip-lm-eval", action="store_true", help="only the concurrency sweep")
    parser.add_argument("--vllm-venv", type=Path, default=None,
                        help="vLLM virtualenv (default $EXAMQA_VLLM_VENV or ~/.cache/examqa/vllm-venv)")
    parser.add_argument("--server-lifetime", type=int, default=1800,
                        help="the server stops itself after this many seconds (default 1800)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    lm_eval = args.lm_eval_python
    if not args.skip_lm_eval and not lm_eval.exists():
        raise SystemExit(f"{lm_eval} not found: create the venv (see docs/benchmarks.md) or pass --skip-lm-eval")

    # A plain `kill` must still run the `with` block's exit, which stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from examqa.testing import tiny_model_dir

    model_dir = tiny_model_dir()
    work = Path(tempfile.mkdtemp(prefix="examqa-bench-server-"))
    figures: dict[str, Any] = {"machine": {**machine(), "aiohttp": version_of("aiohttp")}, "vllm": None,
                               "items": args.items, "max_tokens": args.max_tokens}
    try:
        bank = write_bank(work / "bank.jsonl", args.items)
        bodies, items = request_bodies(bank, args.max_tokens)
        n = len(bodies)
        server = bounded_server(model_dir, work / "vllm-server.log", args.server_lifetime, args.vllm_venv)
        vllm_version = subprocess.run([str(server.python), "-c", "import vllm; print(vllm.__version__)"],
                                      capture_output=True, text=True).stdout.strip()
        figures["vllm"] = vllm_version
        with server as base_url:
            print(f"vLLM {vllm_version} healthy after {server.startup_s:.0f} s at {base_url}", file=sys.stderr)
            raw_run(base_url, bodies[:8], 8)  # warm-up: first-request compilation, caches
            examqa_inprocess(examqa_args(bank, base_url, 8, args.max_tokens, work / "warm"), work / "warm",
                             base_url)
            load_before = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            # The bare aiohttp client runs on this interpreter: the same aiohttp examqa imports.
            rows, figures["sweep"] = sweep(bank, base_url, bodies, levels, args.repeats, args.max_tokens, work,
                                           Path(sys.executable))

            lm_rows: list[list[Any]] = []
            notes: list[str] = []
            if not args.skip_lm_eval:
                lm_rows, notes, figures["lm_eval"] = compare_lm_eval(
                    lm_eval, bank, base_url, items, args.lm_eval_concurrency, args.max_tokens, args.repeats, work)
                figures["lm_eval_version"] = subprocess.run(
                    [str(lm_eval), "-c", "from importlib.metadata import version; print(version('lm_eval'))"],
                    capture_output=True, text=True).stdout.strip()

        info = figures["machine"]
        print(f"## examqa openai backend on vLLM {vllm_version} (CPU), tiny EXAONE 4.0 — {n} items, "
              f"max_tokens {args.max_tokens}, greedy, reasoning mode, median of {args.repeats}\n")
        print(f"machine: {info['cpus']} CPU(s) ({info['cpu']}) shared by server and client, load average "
              f"before {load_before}; Python {info['python']}, aiohttp {info['aiohttp']} (examqa's client), "
              f"httpx {info['httpx']}, examqa {info['examqa']}\n")
        print(table(["concurrency", "examqa items/s (whole CLI)", "examqa items/s (generation)",
                     "raw aiohttp items/s", "raw httpx items/s", "examqa/raw aiohttp time",
                     "examqa overhead ms/item (vs raw aiohttp)", "examqa mean latency ms",
                     "raw aiohttp mean latency ms", "raw httpx mean latency ms", "engine ms/request",
                     "completion tokens examqa / aiohttp / httpx", "identical texts (vs aiohttp, vs httpx)"], rows))
        if lm_rows:
            print(f"\n## examqa vs lm-evaluation-harness {figures['lm_eval_version']} "
                  f"(local-chat-completions), num_concurrent {args.lm_eval_concurrency}, subprocesses\n")
            print(table(["", "wall s", "items/s (wall)", "generation s", "items/s (generation)",
                         "tokens generated (server)", "requests (server)"], lm_rows))
            print()
            for note in notes:
                print(note)
        if args.json is not None:
            args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
