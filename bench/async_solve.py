"""Concurrent ``asolve`` calls on one event loop against a server that takes 0.2 s per request.

    python bench/async_solve.py                  # N = 1, 8, 64, 256; 5 repeats each; medians
    python bench/async_solve.py --delay 0.2 --n 64 --repeats 9 --json out.json

The server is :class:`examqa.testing.FakeOpenAIServer` on 127.0.0.1 (threads, a fixed delay per
request, a fixed completion), so the figure isolates examqa's client: rendering, the request, reading
and grading the answer. The backend is built with ``concurrency`` = N, so the budget never queues a
call. Sequential ``solve`` calls would take N × delay; the target (issue "examqa as a library") is
64 calls in well under 1 s at 0.2 s per request. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

import examqa
from common import machine, median
from examqa.testing import FakeOpenAIServer, Reply, completion

QUESTION = {"id": "Q1", "subject": "보험업법", "stem": "보험업법상 옳은 것은?",
            "choices": ["가는 옳다", "나는 옳다", "다는 옳다", "라는 옳다"], "answer": 3}


async def burst(backend: examqa.Backend, n: int) -> float:
    """Seconds for ``n`` concurrent asolve calls (the backend already open)."""
    t0 = time.perf_counter()
    solutions = await asyncio.gather(*(examqa.asolve("loss-adjuster", QUESTION, backend) for _ in range(n)))
    elapsed = time.perf_counter() - t0
    assert all(s.choice == 3 for s in solutions)
    return elapsed


async def measure(url: str, n: int, repeats: int) -> list[float]:
    """``repeats`` bursts of ``n`` calls through one backend and one loop."""
    backend = examqa.backend("openai", model="fake-model", base_url=url, concurrency=max(n, 1))
    try:
        await backend.aopen()
        await burst(backend, min(n, 8))  # warm the pool
        return [await burst(backend, n) for _ in range(repeats)]
    finally:
        await backend.aclose()


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--n", type=int, action="append", help="Concurrent calls (repeatable).")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sizes = args.n or [1, 8, 64, 256]
    print(f"machine: {machine()}; load average {os.getloadavg()}")
    reply = Reply(body=completion("보기를 검토했다.</think>\n\n정답: ③"), delay_s=args.delay)
    results: dict[int, list[float]] = {}
    with FakeOpenAIServer(lambda call: reply) as server:
        for n in sizes:
            results[n] = asyncio.run(measure(server.url, n, args.repeats))
    print(f"\nserver delay {args.delay:g} s per request; {args.repeats} bursts each\n")
    print("| concurrent asolve calls | median (s) | min (s) | sequential would take (s) | speed-up |")
    print("|---:|---:|---:|---:|---:|")
    for n, values in results.items():
        seq = n * args.delay
        print(f"| {n} | {median(values):.3f} | {min(values):.3f} | {seq:.1f} | {seq / median(values):.0f}× |")
    if args.json:
        args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
