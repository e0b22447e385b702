import examqa

backend = examqa.backend("scripted", default="①은 틀리고 ③이 조문과 맞다.</think>\n\n정답: ③")

question = {
    "subject": "보험업법",
    "stem": "「보험업법」상 옳은 것은?",
    "choices": ["가는 옳다", "나는 옳다", "다는 옳다", "라는 옳다"],
    "answer": 3,                      # leave it out to answer without grading (correct is None)
}
solution = examqa.solve("loss-adjuster", question, backend)        # reasoning mode by default

print(solution.label, solution.correct, solution.method)            # ③ True marker
print("reasoning:", solution.reasoning)
print("answer:", solution.final)

quick = examqa.solve("loss-adjuster", question, backend, thinking=False, temperature=0)
print(quick.mode, quick.choice)                                     # non-reasoning 3
