import asyncio

import examqa

backend = examqa.backend("scripted", default="①은 시행령 규정이고 ③이 법 조문이다.</think>\n\n정답: ③")
question = {"subject": "보험업법", "stem": "「보험업법」상 옳은 것은?",
            "choices": ["가는 옳다", "나는 옳다", "다는 옳다", "라는 옳다"], "answer": 3}


async def show() -> None:
    async for event in examqa.astream("loss-adjuster", question, backend):
        if isinstance(event, examqa.TextDelta):
            # a tutoring screen appends event.text to the "thinking" or the "answer" pane
            print(f"[{event.kind}] {event.text!r}")
        else:
            print("graded:", event.label, event.correct)   # the Solution, once the model has finished


asyncio.run(show())
