"""A small certification-prep service on examqa: grade a student's sheet, answer one question, stream one.

    EXAMQA_BASE_URL=http://127.0.0.1:8000/v1 EXAMQA_MODEL=exaone uvicorn asgi_app:app

POST /grade        {"exam": "customs-broker", "answers": {"CUS-01": 2, …}}   → the report (to_pass included);
                   a mark may be 2, 2.0, "2", "②", [2, 4] (a double mark) or null (blank), as every door reads it
POST /solve        {"exam": "…", "question": {"stem": …, "choices": […], "answer": 3}, "options": {"thinking": true}}
POST /solve/stream the same, as server-sent events: reasoning and answer deltas, then the graded solution

"options" are examqa's (thinking, temperature, max_new_tokens …); a misspelt one is a 422.

Banks load once at start-up; one backend (one connection pool, one concurrency budget) serves every
request on the server's event loop — examqa's async calls start no thread and no loop of their own.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

import examqa

EXAMS = ("customs-broker", "loss-adjuster", "dentist")  # your own banks: examqa.load_bank(path) for each


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.banks = {exam: examqa.samples.bank(exam) for exam in EXAMS}  # the bundled sample papers
    backend = examqa.backend("openai", model=os.environ.get("EXAMQA_MODEL", "exaone"),
                             base_url=os.environ.get("EXAMQA_BASE_URL", "http://127.0.0.1:8000/v1"),
                             concurrency=int(os.environ.get("EXAMQA_CONCURRENCY", "64")))
    async with backend:           # checks the server once, closes the pool at shutdown
        app.state.backend = backend
        yield


def problem(error: examqa.ExamqaError) -> JSONResponse:
    """Bad input is the client's mistake (422); a backend that cannot answer is ours (503)."""
    mistake = isinstance(error, examqa.InputError | examqa.UnknownExamError)
    return JSONResponse({"error": str(error)}, status_code=422 if mistake else 503)


async def grade(request: Request) -> JSONResponse:
    body: dict[str, Any] = await request.json()
    try:
        bank = request.app.state.banks[body["exam"]]
        report = examqa.grade_sheet(body["exam"], bank, body["answers"])
    except KeyError:
        return JSONResponse({"error": f"no bank for {body.get('exam')!r}"}, status_code=404)
    except examqa.ExamqaError as error:
        return problem(error)
    return JSONResponse(json.loads(report.model_dump_json(exclude={"items"})))


async def solve(request: Request) -> JSONResponse:
    body: dict[str, Any] = await request.json()
    try:
        solution = await examqa.asolve(body["exam"], body["question"], request.app.state.backend,
                                       **body.get("options", {}))
    except examqa.ExamqaError as error:
        return problem(error)
    return JSONResponse(solution.model_dump(mode="json"))


async def solve_stream(request: Request) -> StreamingResponse:
    body: dict[str, Any] = await request.json()

    async def events() -> AsyncIterator[str]:
        try:
            async for event in examqa.astream(body["exam"], body["question"], request.app.state.backend,
                                              **body.get("options", {})):
                if isinstance(event, examqa.TextDelta):
                    data = {"kind": event.kind, "text": event.text}
                else:
                    data = {"kind": "solution", "solution": event.model_dump(mode="json")}
                yield f"data: {json.dumps(data, ensure_ascii=False)}\n\n"
        except examqa.ExamqaError as error:
            yield f"data: {json.dumps({'kind': 'error', 'error': str(error)}, ensure_ascii=False)}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


app = Starlette(lifespan=lifespan, routes=[
    Route("/grade", grade, methods=["POST"]),
    Route("/solve", solve, methods=["POST"]),
    Route("/solve/stream", solve_stream, methods=["POST"]),
])
