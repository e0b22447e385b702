import tempfile
from pathlib import Path

import examqa

# Any backend: examqa.backend("hf", model="LGAI-EXAONE/EXAONE-4.0-1.2B"), or a vLLM server:
# examqa.backend("openai", model="exaone", base_url="http://127.0.0.1:8000/v1", concurrency=64).
# The scripted backend answers from a table, so this runs anywhere, offline.
bank = examqa.samples.bank("loss-adjuster")
answers = {q.id: f"보기를 하나씩 검토했다.</think>\n\n정답: {min(q.accepted)}" for q in bank.questions}
answers[bank.questions[0].id] = "끝까지 생각하지 못했다"  # cut off before </think>: truncated, never graded
backend = examqa.backend("scripted", script=answers)

out = Path(tempfile.mkdtemp()) / "run"
report = examqa.evaluate("loss-adjuster", bank, backend, samples=1, temperature=0, out=out)

print(report.passed, report.total.percent, report.reasons)
print("truncated:", report.run.truncated, "missing:", report.run.missing)
print(sorted(p.name for p in out.iterdir()))   # manifest.json, report.html/.json/.md, samples.jsonl

# The same run directory, finished later (nothing is generated twice): resume=True.
again = examqa.evaluate("loss-adjuster", bank, backend, samples=1, temperature=0, out=out, resume=True)
assert again.model_dump(exclude={"run"}) == report.model_dump(exclude={"run"})
