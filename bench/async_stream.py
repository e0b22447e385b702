"""Concurrent ``examqa.astream`` calls on one event loop: what reading each stream in its own task costs.

    python bench/async_stream.py                       # N = 1, 16, 64; 5 repeats each; medians
    python bench/async_stream.py --n 64 --chunks 400 --repeats 7

The server is :class:`examqa.testing.FakeOpenAIServer` on 127.0.0.1 streaming a reasoning-parser reply
(``reasoning_content`` chunks, then ``content`` chunks) as fast as it can write, so the figures are the
client's: parsing server-sent events, labelling deltas, handing them to the consumer, and grading the
Solution at the end. Reported: the wall time of a burst, the time to each stream's first delta, and
the client time per delta. Not a test: nothing asserts a time.
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


async def one(backend: examqa.Backend, t0: float) -> tuple[float, int]:
    """Seconds from the burst's start to this stream's first delta, and how many deltas it gave."""
    first, deltas = 0.0, 0
    async for event in examqa.astream("loss-adjuster", QUESTION, backend):
        if isinstance(event, examqa.TextDelta):
            deltas += 1
            first = first or time.perf_counter() - t0
        else:
            assert event.choice == 3
    return first, deltas


async def burst(backend: examqa.Backend, n: int) -> tuple[float, float, int]:
    """Wall seconds for ``n`` concurrent streams, the median time to a first delta, and the deltas."""
    t0 = time.perf_counter()
    results = await asyncio.gather(*(one(backend, t0) for _ in range(n)))
    return time.perf_counter() - t0, median([r[0] for r in results]), sum(r[1] for r in results)


async def measure(url: str, n: int, repeats: int) -> list[tuple[float, float, int]]:
    """``repeats`` bursts of ``n`` streams through one backend and one loop."""
    backend = examqa.backend("openai", model="fake-model", base_url=url, concurrency=max(n, 1))
    try:
        await backend.aopen()
        await burst(backend, min(n, 4))  # warm the pool
        return [await burst(backend, n) for _ in range(repeats)]
    finally:
        await backend.aclose()


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="Concurrent streams (repeatable).")
    parser.add_argument("--chunks", type=int, default=200, help="Chunks per stream (half reasoning, half answer).")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sizes = args.n or [1, 16, 64]
    print(f"machine: {machine()}; load average {os.getloadavg()}")
    half = args.chunks // 2
    reply = Reply(body=completion("가" * (half - 4) + "정답: ③", reasoning="생" * half), stream_piece=1)
    results: dict[int, list[tuple[float, float, int]]] = {}
    with FakeOpenAIServer(lambda call: reply) as server:
        for n in sizes:
            results[n] = asyncio.run(measure(server.url, n, args.repeats))
    print(f"\n{args.chunks} chunks per stream; {args.repeats} bursts each\n")
    print("| concurrent streams | wall, median (s) | first delta, median (ms) | client µs per delta |")
    print("|---:|---:|---:|---:|")
    for n, runs in results.items():
        wall = median([r[0] for r in runs])
        deltas = runs[0][2]
        print(f"| {n} | {wall:.3f} | {1000 * median([r[1] for r in runs]):.1f} | {1e6 * wall / deltas:.0f} |")
    if args.json:
        args.json.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
