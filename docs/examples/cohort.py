"""A class's mock exam in one call: who passed, what it takes the others, and which items misbehave."""

import random

import examqa

bank = examqa.samples.bank("customs-broker")  # the bundled sample paper: 12 items, 2.5 points each
rng = random.Random(7)
rows = []  # (student, {item id: mark}) — from your own database; a CSV path or a DataFrame works too
for n in range(60):
    skill = rng.uniform(0.3, 0.95)
    marks = {q.id: min(q.accepted) if rng.random() < skill else rng.randint(1, len(q.choices))
             for q in bank.questions}
    rows.append((f"학생{n:02d}", marks))

cohort = examqa.grade_cohort("customs-broker", bank, rows)
s = cohort.summary
print(f"{s.passed}/{s.students} passed; failed by a floor only {s.failed_floor_only}, "
      f"by the mean only {s.failed_total_only}, by both {s.failed_both}")
failing = [r for r in cohort.results() if not r.passed]  # each: the verdict of that sheet graded alone
for r in failing[:3]:
    print(r.student, r.failed_by, r.percent, {k: float(v) for k, v in r.points.items()})
    print("  합격까지 정답", r.to_pass.items, "개 더:", r.to_pass.by_subject)
for item in cohort.items[:2]:
    print(item.id, f"p={item.difficulty:.2f}", f"r={item.discrimination:+.2f}", item.option_shares)
for flag in s.flags:
    print("flag:", flag.id, flag.kind, flag.numbers)
report = cohort.report(failing[0].student)  # the full single-sheet report, exactly as grade_sheet gives it
print(report.reasons, report.to_pass)
