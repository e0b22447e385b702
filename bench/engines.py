"""The engines side by side on one paper, whole process each: examqa's transformers backend against
lm-evaluation-harness's HF backend, examqa's in-process vLLM against examqa through a vLLM server, and
transformers' continuous batching against padded batches.

    python bench/engines.py                                  # everything available, 5 alternating runs each
    python bench/engines.py --only lm-eval --repeats 7
    python bench/engines.py --only vllm --eager              # both vLLM sides without torch.compile
    python bench/engines.py --items 2 --repeats 1 --max-new-tokens 4    # the smoke test's size

The paper is the 120-item 2020 loss-adjuster paper (``../shared/data/loss-adjuster/2020``) when it is
there, else the 120-item bench bank (``bench/common.py``); ``--bank`` names another. The model is the
tiny random-weight EXAONE 4.0 (``examqa tiny-model``) unless ``--model`` says otherwise. Every run is a
fresh process (interpreter start-up, imports and model loading included, as a user waits for them);
the things compared alternate, after one untimed warm-up of each, and the figures are medians. Wall time
and CPU time (user + system of the child processes) are both reported: the machine may be shared, and
CPU time moves less with other people's jobs. ``--threads`` sets OMP/MKL threads for every side alike
(default 1: on a shared 2-core machine, torch's default of 2 threads makes single runs up to 20× slower
when another job holds a core; 0 leaves torch's default).

1. **examqa vs lm-eval** (``--only lm-eval``): ``examqa grade loss-adjuster --bank PAPER --model M
   --temperature 0 --max-new-tokens N --batch-size B`` with examqa's own prompts, against ``lm_eval run
   --model hf --apply_chat_template`` with ``enable_thinking=True``, the same model, ``max_gen_toks N``,
   ``--batch_size B``, greedy, on a task built from the same items (stem, numbered choices, an answer
   instruction: lm-eval's prompts are shorter than examqa's system prompt + template; both sides' prompt
   and completion tokens are printed). lm-eval runs from its own virtualenv (``--lm-eval-python``).
2. **in-process vLLM vs vLLM server** (``--only vllm``): ``examqa grade … --backend vllm`` in the vLLM
   virtualenv against ``examqa grade … --backend openai`` to ``examqa.testing.VLLMServer`` (the same
   vLLM, model and dtype; the server started once, its start-up reported apart, and its prefix cache
   emptied before each run, since the in-process engine starts empty). Generation alone is each run's
   ``wall_seconds`` (report.json); the whole process is the command's wall time, with the server's
   start-up added on the server side for a cold start.
3. **continuous batching on CPU** (``--only continuous``): ``--backend-option batching=continuous``
   against the default padded batches, examqa both.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from common import EXAM, REPO, machine, median, table, write_bank

SHARED_PAPER = REPO.parent / "shared" / "data" / "loss-adjuster" / "2020"
LM_EVAL_VENV = Path.home() / ".cache" / "examqa" / "lm-eval-venv"
TARGET_LM_EVAL = 0.40
TARGET_VLLM = 1.00

LM_EVAL_TASK = """\
task: examqa_bench
dataset_path: json
dataset_kwargs:
  data_files:
    test: {items}
test_split: test
output_type: generate_until
doc_to_text: "{{{{stem}}}}\\n\\n{{% for c in choices %}}{{{{ loop.index }}}}. {{{{ c }}}}\\n{{% endfor %}}\\n\\
  정답 번호를 '정답: N' 형식으로 답하십시오."
doc_to_target: "{{{{answer}}}}"
generation_kwargs:
  until: ["[|endofturn|]"]
  max_gen_toks: {max_new_tokens}
  do_sample: false
filter_list:
  - name: strict
    filter:
      - function: regex
        regex_pattern: "정답\\\\s*[:：]?\\\\s*([1-9])"
      - function: take_first
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
"""


# ------------------------------------------------------------------------------------ running things


def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 3600) -> dict[str, Any]:
    """Run ``cmd``; its wall time, the CPU time of it and its children, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:6])} … exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "stdout": proc.stdout}


def thread_env(threads: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **(extra or {})}
    if threads > 0:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def report_of(out: Path) -> dict[str, Any]:
    run = json.loads((out / "report.json").read_text(encoding="utf-8"))["run"]
    return {"generate_s": float(run["wall_seconds"]), "prompt_tokens": int(run["prompt_tokens"]),
            "completion_tokens": int(run["completion_tokens"]), "generated": int(run["generated"])}


def examqa_cmd(python: Path, bank: Path, model: Path, out: Path, args: argparse.Namespace, *extra: str) -> list[str]:
    cmd = [str(python), "-m", "examqa.cli", "grade", EXAM, "--bank", str(bank), "--model", str(model),
           "--temperature", "0", "--max-new-tokens", str(args.max_new_tokens), "--out", str(out), "--json", *extra]
    if args.items is not None:
        cmd += ["--limit", str(args.items)]
    return cmd


def alternate(sides: dict[str, Any], repeats: int) -> dict[str, list[dict[str, Any]]]:
    """One untimed warm-up of each side, then ``repeats`` rounds, the sides taking turns."""
    for run in sides.values():
        run()
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    for _ in range(repeats):
        for name, run in sides.items():
            results[name].append(run())
    return results


def rows_for(results: dict[str, list[dict[str, Any]]], keys: list[tuple[str, str]]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for label, key in keys:
        for name, runs in results.items():
            values = [r[key] for r in runs if key in r]
            if values:
                rows.append([f"{name}, {label}", ", ".join(f"{v:.2f}" for v in values), median(values), min(values)])
    return rows


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


# ------------------------------------------------------------------------------------ 1. lm-eval


def lm_eval_task(bank: Path, folder: Path, items: int | None, max_new_tokens: int) -> Path:
    """An lm-eval task over the bank's items (written here, never committed: it holds exam text)."""
    from examqa.banks import bank_for_exam

    loaded, _ = bank_for_exam(bank, EXAM, None)
    questions = loaded.questions[:items] if items else loaded.questions
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "items.jsonl"
    data.write_text("".join(json.dumps({"id": q.id, "stem": q.stem, "choices": list(q.choices),
                                        "answer": min(q.accepted)}, ensure_ascii=False) + "\n"
                            for q in questions), encoding="utf-8")
    (folder / "examqa_bench.yaml").write_text(LM_EVAL_TASK.format(items=data, max_new_tokens=max_new_tokens),
                                              encoding="utf-8")
    return folder


def lm_eval_tokens(out: Path, model: Path) -> dict[str, int]:
    """Prompt and completion tokens of lm-eval's logged samples, counted with the model's tokenizer."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model)
    prompt = completion = 0
    for path in out.rglob("samples_*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            prompt += len(tok(record["arguments"]["gen_args_0"]["arg_0"], add_special_tokens=False).input_ids)
            completion += len(tok(record["resps"][0][0], add_special_tokens=False).input_ids)
    return {"prompt_tokens": prompt, "completion_tokens": completion}


def compare_lm_eval(args: argparse.Namespace, bank: Path, model: Path, work: Path) -> dict[str, Any] | None:
    python = args.lm_eval_python
    if not python.exists():
        print(f"\n## 1. examqa vs lm-eval: skipped — no lm-eval at {python} (see docs/benchmarks.md)\n")
        return None
    task = lm_eval_task(bank, work / "lm-eval-task", args.items, args.max_new_tokens)
    env = thread_env(args.threads, {"HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                                    "HF_HOME": str(work / "hf-home")})
    counter = iter(range(10_000))
    lm_cmd = [str(python), "-m", "lm_eval", "run", "--model", "hf", "--model_args",
              f"pretrained={model},dtype=float32,enable_thinking=True,think_end_token=</think>",
              "--tasks", "examqa_bench", "--include_path", str(task), "--apply_chat_template",
              "--batch_size", str(args.batch_size), "--device", "cpu", "--gen_kwargs",
              f"max_gen_toks={args.max_new_tokens}", "--seed", "0", "--log_samples"]
    tokens: dict[str, dict[str, int]] = {}

    def run_examqa() -> dict[str, Any]:
        out = work / f"examqa-{next(counter)}"
        got = timed(examqa_cmd(Path(sys.executable), bank, model, out, args, "--batch-size", str(args.batch_size),
                               "--protocol", args.protocol), env)
        figures = report_of(out)
        tokens["examqa"] = {k: figures[k] for k in ("prompt_tokens", "completion_tokens")}
        shutil.rmtree(out)
        return {**got, **figures}

    def run_lm_eval() -> dict[str, Any]:
        out = work / f"lm-eval-{next(counter)}"
        got = timed([*lm_cmd, "--output_path", str(out)], env)
        tokens["lm-eval"] = lm_eval_tokens(out, model)
        shutil.rmtree(out)
        return got

    before = load()
    results = alternate({"examqa": run_examqa, "lm-eval": run_lm_eval}, args.repeats)
    n = args.items or 120
    print(f"\n## 1. examqa (transformers, --protocol {args.protocol}) vs lm-eval (hf) — {n} items, max_new_tokens "
          f"{args.max_new_tokens}, batch {args.batch_size}, greedy, reasoning mode, whole process\n")
    print(f"load average before {before}, after {load()}; threads {args.threads or 'torch default'}\n")
    rows = rows_for(results, [("wall", "wall_s"), ("CPU", "cpu_s")])
    ratio = {key: median([r[key] for r in results["examqa"]]) / median([r[key] for r in results["lm-eval"]])
             for key in ("wall_s", "cpu_s")}
    rows.append(["ratio examqa/lm-eval, wall", "", ratio["wall_s"], ""])
    rows.append(["ratio examqa/lm-eval, CPU", "", ratio["cpu_s"], ""])
    print(table(["", "runs (s)", "median (s)", "min (s)"], rows))
    print(f"\nexamqa/lm-eval, whole process: {ratio['wall_s']:.3f} wall, {ratio['cpu_s']:.3f} CPU "
          f"(target ≤ {TARGET_LM_EVAL:.2f}); examqa's generation phase (report wall_seconds): median "
          f"{median([r['generate_s'] for r in results['examqa']]):.2f} s")
    for name, count in tokens.items():
        print(f"{name}: {count['prompt_tokens']} prompt tokens, {count['completion_tokens']} completion tokens")
    return {"results": _plain(results), "ratio": ratio, "tokens": tokens, "load_before": before}


# ------------------------------------------------------------------------------------ 2. vLLM


def reset_prefix_cache(base_url: str) -> None:
    """Empty a (dev-mode) vLLM server's prefix cache; it refuses while requests run, so retry a little."""
    import urllib.request

    root = base_url.removesuffix("/v1")
    for _ in range(50):
        with urllib.request.urlopen(urllib.request.Request(f"{root}/reset_prefix_cache", method="POST"),
                                    timeout=30) as reply:
            body = reply.read().decode()
        if "false" not in body:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the server would not reset its prefix cache: {body}")


def compare_vllm(args: argparse.Namespace, bank: Path, model: Path, work: Path) -> dict[str, Any] | None:
    from examqa.testing import VLLMServer, vllm_python, vllm_venv_dir

    python = vllm_python(args.vllm_venv) if args.vllm_venv else vllm_python()
    if python is None:
        print(f"\n## 2. in-process vLLM vs vLLM server: skipped — no vLLM virtualenv at "
              f"{args.vllm_venv or vllm_venv_dir()} (scripts/vllm-venv.sh)\n")
        return None
    path = os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])
    env = thread_env(args.threads, {"VLLM_CPU_KVCACHE_SPACE": "1", "PYTHONPATH": path})
    eager = ["--engine-arg", "enforce_eager=true"] if args.eager else []
    counter = iter(range(10_000))
    server = VLLMServer(model, python=python, log_path=work / "vllm-server.log",
                        extra_args=["--enforce-eager"] if args.eager else [])
    t0 = time.perf_counter()
    # The server keeps its prefix cache between runs, so every run after the first would find every
    # prompt already computed; the in-process engine starts empty each time. Dev mode lets the
    # benchmark empty the server's cache before each run (POST /reset_prefix_cache), as for a fresh paper.
    old = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "VLLM_SERVER_DEV_MODE")}
    os.environ.update({k: v for k, v in env.items() if k in old})
    os.environ["VLLM_SERVER_DEV_MODE"] = "1"
    try:
        url = server.start()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    startup = time.perf_counter() - t0
    try:
        def run_inprocess() -> dict[str, Any]:
            out = work / f"vllm-{next(counter)}"
            got = timed(examqa_cmd(python, bank, model, out, args, "--backend", "vllm", "--dtype", "float32",
                                   *eager), env, cwd=REPO)
            figures = report_of(out)
            shutil.rmtree(out)
            return {**got, **figures}

        def run_server() -> dict[str, Any]:
            reset_prefix_cache(url)
            out = work / f"server-{next(counter)}"
            cmd = examqa_cmd(Path(sys.executable), bank, model, out, args, "--backend", "openai", "--base-url",
                             url, "--concurrency", "128")
            cmd[cmd.index("--model") + 1] = server.served_model_name
            got = timed(cmd, env)
            figures = report_of(out)
            shutil.rmtree(out)
            return {**got, **figures, "cold_s": got["wall_s"] + startup}

        before = load()
        results = alternate({"in-process": run_inprocess, "server": run_server}, args.repeats)
    finally:
        server.stop()
    n = args.items or 120
    print(f"\n## 2. examqa with vLLM in-process vs through a vLLM server — {n} items, max_new_tokens "
          f"{args.max_new_tokens}, greedy, reasoning mode{', enforce_eager' if args.eager else ''}\n")
    print(f"load average before {before}, after {load()}; server start-up {startup:.1f} s (once)\n")
    rows = rows_for(results, [("generation (report wall_seconds)", "generate_s"), ("whole process, wall", "wall_s"),
                              ("whole process, CPU", "cpu_s"), ("cold: server start-up + client", "cold_s")])
    gen = median([r["generate_s"] for r in results["in-process"]]) / median([r["generate_s"]
                                                                             for r in results["server"]])
    cold = median([r["wall_s"] for r in results["in-process"]]) / median([r["cold_s"] for r in results["server"]])
    warm = median([r["wall_s"] for r in results["in-process"]]) / median([r["wall_s"] for r in results["server"]])
    rows.append(["ratio in-process/server, generation", "", gen, ""])
    rows.append(["ratio in-process/server, cold start to report", "", cold, ""])
    rows.append(["ratio in-process/warm server's client", "", warm, ""])
    print(table(["", "runs (s)", "median (s)", "min (s)"], rows))
    print(f"\nin-process/server: generation {gen:.3f} (target ≤ {TARGET_VLLM:.2f}), cold start to report {cold:.3f}, "
          f"against a client of an already running server {warm:.3f}")
    tokens = {name: {k: runs[-1][k] for k in ("prompt_tokens", "completion_tokens")} for name, runs in results.items()}
    for name, count in tokens.items():
        print(f"{name}: {count['prompt_tokens']} prompt tokens, {count['completion_tokens']} completion tokens")
    return {"results": _plain(results), "ratios": {"generation": gen, "cold": cold, "warm_client": warm},
            "server_startup_s": startup, "load_before": before}


# ------------------------------------------------------------------------------------ 3. continuous batching


def compare_continuous(args: argparse.Namespace, bank: Path, model: Path, work: Path) -> dict[str, Any]:
    env = thread_env(args.threads)
    counter = iter(range(10_000))

    def side(*extra: str) -> Any:
        def run() -> dict[str, Any]:
            out = work / f"cb-{next(counter)}"
            got = timed(examqa_cmd(Path(sys.executable), bank, model, out, args, "--batch-size",
                                   str(args.batch_size), *extra), env)
            figures = report_of(out)
            shutil.rmtree(out)
            return {**got, **figures}
        return run

    before = load()
    results = alternate({"padded": side(), "continuous": side("--backend-option", "batching=continuous")},
                        args.repeats)
    n = args.items or 120
    print(f"\n## 3. transformers continuous batching vs padded batches on CPU — {n} items, max_new_tokens "
          f"{args.max_new_tokens}, batch {args.batch_size} (padded), greedy\n")
    print(f"load average before {before}, after {load()}\n")
    rows = rows_for(results, [("generation", "generate_s"), ("whole process, wall", "wall_s"),
                              ("whole process, CPU", "cpu_s")])
    ratio = median([r["generate_s"] for r in results["continuous"]]) / median([r["generate_s"]
                                                                               for r in results["padded"]])
    rows.append(["ratio continuous/padded, generation", "", ratio, ""])
    print(table(["", "runs (s)", "median (s)", "min (s)"], rows))
    return {"results": _plain(results), "ratio_generation": ratio, "load_before": before}


def _plain(results: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {name: [{k: v for k, v in r.items() if k != "stdout"} for r in runs] for name, runs in results.items()}


def main(argv: list[str] | None = None) -> int:
    """Run the comparisons asked for and print them as Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["lm-eval", "vllm", "continuous"], action="append",
                        help="run only these comparisons (repeatable; default all)")
    parser.add_argument("--bank", type=Path, default=None, help="the paper (default: the 2020 loss-adjuster paper)")
    parser.add_argument("--items", type=int, default=None, help="only the first N items (default all)")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="token budget (default 64)")
    parser.add_argument("--batch-size", type=int, default=8, help="transformers batch size (default 8)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each side (default 5; median)")
    parser.add_argument("--threads", type=int, default=1, help="OMP/MKL threads per process (default 1; 0: torch's)")
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the tiny EXAONE)")
    parser.add_argument("--lm-eval-python", type=Path, default=LM_EVAL_VENV / "bin" / "python",
                        help=f"lm-eval's interpreter (default {LM_EVAL_VENV}/bin/python)")
    parser.add_argument("--vllm-venv", type=Path, default=None, help="the vLLM virtualenv (default: the tests')")
    parser.add_argument("--eager", action="store_true", help="vLLM without torch.compile on both sides")
    parser.add_argument("--protocol", default="examqa",
                        help="examqa's prompts against lm-eval: examqa (default) or kmmlu-pro (short prompts)")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this file")
    args = parser.parse_args(argv)

    from examqa.testing import tiny_model_dir

    model = (args.model or tiny_model_dir()).resolve()
    only = set(args.only or ["lm-eval", "vllm", "continuous"])
    work = Path(tempfile.mkdtemp(prefix="examqa-bench-engines-"))
    figures: dict[str, Any] = {"machine": machine(), "threads": args.threads, "max_new_tokens": args.max_new_tokens,
                               "batch_size": args.batch_size, "items": args.items}
    try:
        bank = args.bank or (SHARED_PAPER if SHARED_PAPER.is_dir() else write_bank(work / "bank.jsonl", 120))
        info = figures["machine"]
        print(f"paper: {bank}; model: {model}\nmachine: {info['cpus']} CPU(s) ({info['cpu']}), Python "
              f"{info['python']}, torch {info['torch']}, transformers {info['transformers']}, examqa {info['examqa']}")
        if "lm-eval" in only:
            figures["lm_eval"] = compare_lm_eval(args, bank, model, work)
        if "vllm" in only:
            figures["vllm"] = compare_vllm(args, bank, model, work)
        if "continuous" in only:
            figures["continuous"] = compare_continuous(args, bank, model, work)
        if args.json is not None:
            args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
