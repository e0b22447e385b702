import asyncio
import time

import examqa
from examqa.testing import FakeOpenAIServer, Reply, completion

question = {"subject": "보험업법", "stem": "「보험업법」상 옳은 것은?",
            "choices": ["가는 옳다", "나는 옳다", "다는 옳다", "라는 옳다"], "answer": 3}

# A stand-in for a vLLM server that takes 0.2 s per request.
with FakeOpenAIServer(lambda call: Reply(body=completion("검토</think>정답: 3"), delay_s=0.2)) as server:

    async def main() -> None:
        # One backend for the whole service: one connection pool and one budget of requests in flight.
        async with examqa.backend("openai", model="fake-model", base_url=server.url, concurrency=64) as backend:
            t0 = time.perf_counter()
            solutions = await asyncio.gather(*(examqa.asolve("loss-adjuster", question, backend)
                                               for _ in range(64)))
            print(len(solutions), "answers in", round(time.perf_counter() - t0, 2), "s")  # not 64 × 0.2 s

    asyncio.run(main())
