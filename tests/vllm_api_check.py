"""Run inside the vLLM virtualenv by tests/test_vllm_inprocess.py: the vllm backend through the Python API.

    python tests/vllm_api_check.py MODEL_DIR OUT_JSON

Builds one ``examqa.backend("vllm", …)`` and exercises it: sync generate twice (two private loops),
async generate on a loop of its own, ``n=k`` grouping and seeded reproducibility, streaming, a stream
closed early (its request aborted in the engine), then ``close()`` (no engine process left). Writes
what it saw as JSON for the test to judge. (Not a test module: it needs vLLM, which the test
interpreter does not have.)
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def main() -> None:
    import examqa
    from examqa.backends import GenRequest, Sampling
    from examqa.backends._reaper import child_pids

    model, out = sys.argv[1], Path(sys.argv[2])
    seen: dict[str, Any] = {"children_before": sorted(child_pids())}
    backend = examqa.backend("vllm", model=model, dtype="float32", engine_args={"enforce_eager": True})
    seen["repr_before_open"] = repr(backend)
    t0 = time.monotonic()
    backend.open()
    seen["start_s"] = round(time.monotonic() - t0, 1)
    seen["settings"] = backend.info.settings
    seen["engine_children"] = sorted(child_pids())

    ask = ({"role": "user", "content": "다음 중 옳은 것은? ① 가 ② 나 ③ 다"},)
    greedy = Sampling(thinking=True, temperature=0.0, max_new_tokens=24)
    first = [r.output for r in backend.generate([GenRequest("a#0", ask)], greedy)]
    second = [r.output for r in backend.generate([GenRequest("a#0", ask)], greedy)]
    seen["sync_twice_equal"] = first == second

    async def on_a_loop() -> list[str]:
        return [r.output async for r in backend.agenerate([GenRequest("a#0", ask)], greedy)]

    seen["async_equals_sync"] = asyncio.run(on_a_loop()) == first

    sampled = Sampling(thinking=True, temperature=1.0, top_p=1.0, max_new_tokens=16)
    unseeded = list(backend.generate([GenRequest(f"a#{k}", ask) for k in range(3)], sampled))
    seen["unseeded_n"] = sorted(r.extra.get("n", 1) for r in unseeded)
    seen["unseeded_request_ids"] = len({r.extra["request_id"] for r in unseeded})
    seeded = [GenRequest(f"a#{k}", ask, seed=100 + k) for k in range(3)]
    one = {r.key: r.output for r in backend.generate(seeded, sampled)}
    two = {r.key: r.output for r in backend.generate(list(reversed(seeded)), sampled)}
    seen["seeded_reproducible"] = one == two
    seen["seeded_distinct"] = len(set(one.values()))

    async def stream() -> dict[str, Any]:
        items = [item async for item in backend.astream(GenRequest("s#0", ask), greedy)]
        *deltas, result = items
        text = "".join(d.text for d in deltas)
        return {"deltas": len(deltas), "kinds": sorted({d.kind for d in deltas}),
                "joined_equals_output": text.replace("</think>", "") == result.output.replace("</think>", ""),
                "output_equals_generate": result.output == first[0]}

    seen["stream"] = asyncio.run(stream())

    async def abandon() -> int:
        long = Sampling(thinking=True, temperature=0.0, max_new_tokens=2000)
        agen = backend.astream(GenRequest("x#0", ask), long)
        await agen.__anext__()
        await agen.aclose()
        await asyncio.sleep(0.5)
        return int(backend._engine.get_num_unfinished_requests())

    seen["unfinished_after_close"] = asyncio.run(abandon())

    t0 = time.monotonic()
    backend.close()
    seen["close_s"] = round(time.monotonic() - t0, 1)
    time.sleep(1.0)
    alive = []
    for pid in seen["engine_children"]:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] != "Z":
                    alive.append(pid)
        except OSError:
            pass
    # multiprocessing's resource tracker lives as long as this interpreter (and ends with it): not an engine
    def cmdline(pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""

    seen["alive_after_close"] = [f"{p} {cmdline(p)}" for p in alive
                                 if p not in seen["children_before"] and "resource_tracker" not in cmdline(p)]
    out.write_text(json.dumps(seen, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":  # vLLM spawns its engine processes: they re-import this module
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    main()
