import examqa

exam = examqa.load_exam("customs-broker")
print(exam.blueprint.name_ko, "—", exam.blueprint.pass_rule.text)

bank = examqa.samples.bank("customs-broker")                # the bundled sample paper (12 items)
answers = {q.id: min(q.accepted) for q in bank.questions}   # a perfect sheet…
accounting = [q.id for q in bank.questions if q.subject == "회계학"]
for qid in accounting:                                      # …except every 회계학 item left blank
    answers[qid] = None

report = examqa.grade_sheet(exam, bank, answers)
assert not report.passed
print(report.reasons[0])        # e.g. 회계학 0점 < 3점 (과락)
for subject in report.subjects:
    print(subject.name, subject.points, "/", subject.max_points, "pass" if subject.passed else "과락")

# A model's completion in reasoning mode: the answer comes after </think>.
q = bank.questions[0]
parsed = examqa.parse_response("보기를 검토하면 ②가 맞다.</think>\n\n정답: ②", q.choices)
print(parsed.choice, parsed.method, parsed.truncated)

print(report.model_dump_json(indent=2)[:200])
