import tempfile
from pathlib import Path

import examqa

sheet = Path(tempfile.mkdtemp()) / "sheet.csv"
sheet.write_text("id,answer\nCUS-01,2\nCUS-02,9\n", encoding="utf-8")
try:
    examqa.grade_sheet("customs-broker", examqa.samples.paper("customs-broker"), sheet)
except examqa.InputError as error:          # bad input: a file, a line, and what to do
    print(error)                            # …/sheet.csv:3: answer 9 is out of range for question 'CUS-02': …
    print(error.path.name, error.line)      # sheet.csv 3

try:
    examqa.load_exam("nurse")
except examqa.UnknownExamError as error:
    print(error)                            # unknown exam 'nurse'; known exams: appraiser, …

try:
    backend = examqa.backend("openai", model="m", base_url="http://127.0.0.1:9/v1")
    examqa.solve("customs-broker", {"stem": "?", "choices": ["a", "b"]}, backend)
except examqa.ExamqaError as error:         # BackendError: the server is not there
    print(type(error).__name__, error)
