"""Regenerate the report screenshots in docs/: a sheet, a suite, a comparison and a cohort, in a real browser.

    python scripts/screenshots.py                # inputs, HTML pages and docs/*-report.png
    python scripts/screenshots.py --html-only    # the pages only (WORK/*.html), no browser needed
    python scripts/screenshots.py --full         # shoot whole pages (tall) instead of the docs' first screen

Needs a Chromium on PATH (Debian: ``apt-get install chromium fonts-noto-cjk``); ``make test`` never runs this.
Every input is made here, deterministically, from examqa's own sample questions — no exam text, no model:

- **sheet**: the bundled customs-broker sample sheet on its sample paper (``exams/samples``);
- **run**: one of the suite's runs below (appraiser, reasoning mode), its own ``report.html``;
- **suite**: the fourteen KMMLU-Pro licences under the paper's protocol (``--protocol kmmlu-pro``: both
  headlines, the law's and the paper's rule), each paper examqa's sample items cycled to the blueprint's full
  length (40 per subject where the blueprint states no count), answered in both modes (three samples an item)
  by a scripted stand-in for a hybrid model through the real engine, run store and parser (the scripted
  backend): the reasoning mode is right more often, truncates now and then, and spends tokens thinking;
- **compare**: that suite's two customs-broker runs (non-reasoning → reasoning);
- **cohort**: 400 students simulated by ``bench/cohort.py simulate`` on a 120-item loss-adjuster paper with a
  planted wrong key, the suite's loss-adjuster reasoning run placed among them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import examqa
from examqa.backends.base import GenRequest, Sampling

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "exams" / "samples"
EXAMS = tuple(examqa.samples.exams())  # the fourteen whose sample papers ship with examqa
UNSTATED_ITEMS = 40  # items per subject where a blueprint states no count
MODEL = "EXAONE-4.0-32B (scripted stand-in)"
RUN = ("appraiser", "reasoning")  # the run page shown: one of the suite's runs
SHOTS = {  # page → (PNG in docs/, height of the first screen shown in the docs)
    "sheet": ("sheet-report.png", 1500),
    "run": ("run-report.png", 1500),
    "suite": ("suite-report.png", 1500),
    "compare": ("compare-report.png", 1500),
    "cohort": ("cohort-report.png", 1640),
}
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--force-device-scale-factor=1")

# How often the stand-in is right, by mode and by subject (a subject not named: the mode's base).
SKILL = {"reasoning": 0.74, "non-reasoning": 0.6}
SUBJECT_SKILL = {"회계학": -0.22, "경제학원론": -0.36, "보험업법": 0.06, "무역영어": 0.08, "한약학 응용": -0.08,
                 "보건의약관계법규": -0.05, "감정평가관계법규": -0.1}
REASONING_GAIN = {"회계학": 0.16}  # what thinking adds beyond the base gap


def _uniform(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def write_full_papers(folder: Path) -> dict[str, dict[str, tuple[int, str]]]:
    """Each exam's sample paper cycled to the blueprint's items per subject; returns id → (key, subject)."""
    folder.mkdir(parents=True, exist_ok=True)
    keys: dict[str, dict[str, tuple[int, str]]] = {}
    for exam in EXAMS:
        if exam == "loss-adjuster":  # the cohort's paper: the same one bench/cohort.py writes
            sys.path.insert(0, str(REPO / "bench"))
            from cohort import write_paper  # type: ignore[import-not-found]

            write_paper(folder / f"{exam}.jsonl")
            records = [json.loads(x) for x in (folder / f"{exam}.jsonl").read_text(encoding="utf-8").splitlines()]
        else:
            source = [json.loads(x) for x in (SAMPLES / "papers" / f"{exam}.jsonl").read_text(
                encoding="utf-8").splitlines() if x.strip()]
            edition = examqa.load_exam(exam).blueprint.edition()
            records = []
            for spec in edition.subjects:
                mine = [r for r in source if r["subject"] == spec.name]
                if spec.accredited or not mine:
                    continue
                for k in range(spec.items or UNSTATED_ITEMS):
                    record = dict(mine[k % len(mine)], number=k + 1, id=f"{exam[:3].upper()}-{len(records) + 1:03d}")
                    records.append(record)
            (folder / f"{exam}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                                  encoding="utf-8")
        keys[exam] = {q.id: (min(q.accepted), q.subject) for q in examqa.load_bank(folder / f"{exam}.jsonl").questions}
    return keys


def stand_in(keys: dict[str, tuple[int, str]]):  # type: ignore[no-untyped-def]
    """A scripted hybrid model: right with a per-subject, per-mode chance; reasoning thinks (and sometimes
    runs out of tokens), the non-reasoning mode now and then names no choice."""

    def answer(request: GenRequest, sampling: Sampling) -> str:
        qid, _, sample = request.key.rpartition("#")
        key, subject = keys[qid]
        mode = sampling.mode
        chance = SKILL[mode] + SUBJECT_SKILL.get(subject, 0.0) + (REASONING_GAIN.get(subject, 0.0)
                                                                  if mode == "reasoning" else 0.0)
        item_ease = (_uniform("ease", qid) - 0.5) * 0.5  # some items are easier for every mode and sample
        draw = _uniform(qid, mode, sample)
        choice = key if draw < chance + item_ease else (key % 4) + 1 + (1 if draw > 0.9 else 0)
        words = ["단계적으로", "조건을", "정리하고", "선택지를", "하나씩", "검토한다"]
        if mode == "reasoning":
            length = 120 + int(_uniform("len", qid, sample) * 900)
            thought = " ".join(words[i % len(words)] for i in range(length))
            if _uniform("cut", qid, sample) < 0.025:
                return thought  # ran out of tokens before </think>
            return f"{thought}\n</think>\n\n정답: {chr(64 + choice)}"  # the paper's protocol labels A)–E)
        if _uniform("none", qid, sample) < 0.015:
            return "잘 모르겠습니다."
        return f"정답: {chr(64 + choice)}"

    return answer


def make_inputs(work: Path) -> dict[str, object]:
    """Every report's input, made in ``work``; returns the result objects the pages render."""
    papers = work / "papers"
    keys = write_full_papers(papers)
    every = {qid: v for exam in keys.values() for qid, v in exam.items()}
    backend = examqa.backend("scripted", script=stand_in(every), model=MODEL)
    suite_dir = work / "suite"
    if suite_dir.exists():
        shutil.rmtree(suite_dir)
    suite = examqa.evaluate_suite(list(EXAMS), papers, backend, out=suite_dir, modes=("reasoning", "non-reasoning"),
                                  protocol="kmmlu-pro", samples=3, temperature=0.6, seed=7, price_in=0.2, price_out=0.8,
                                  currency="USD")
    comparison = examqa.compare([suite_dir / "customs-broker" / "non-reasoning", suite_dir / "customs-broker" /
                                 "reasoning"], labels=["non-reasoning", "reasoning"])
    sheet = examqa.grade_sheet("customs-broker", SAMPLES / "papers" / "customs-broker.jsonl",
                               SAMPLES / "customs-broker-sheet.csv")
    cohort_bank = work / "cohort" / "bank-wrong-key.jsonl"
    cohort_bank.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(REPO / "bench" / "cohort.py"), "simulate", str(work / "cohort" / "class.csv"),
                    "--students", "400", "--bank", str(papers / "loss-adjuster.jsonl"),
                    "--plant-key", "017:3", str(cohort_bank)], check=True, cwd=REPO)
    cohort = examqa.grade_cohort("loss-adjuster", cohort_bank, work / "cohort" / "class.csv",
                                 run=suite_dir / "loss-adjuster" / "reasoning")
    run = next(r for r in suite.results if (r.exam, r.mode) == RUN)
    return {"sheet": sheet, "run": run, "suite": suite, "compare": comparison, "cohort": cohort}


def write_pages(results: dict[str, object], work: Path) -> dict[str, Path]:
    """Each result's HTML page, and its Markdown beside it (to read the same numbers)."""
    from examqa import reports

    renderers = {"sheet": (reports.to_html, reports.to_markdown), "run": (reports.to_html, reports.to_markdown),
                 "suite": (reports.suite_html, reports.suite_markdown),
                 "compare": (reports.comparison_html, reports.comparison_markdown),
                 "cohort": (reports.cohort_html, reports.cohort_markdown)}
    pages = {}
    for name, result in results.items():
        html, markdown = renderers[name]
        pages[name] = work / f"{name}.html"
        pages[name].write_text(html(result), encoding="utf-8")  # type: ignore[operator]
        (work / f"{name}.md").write_text(markdown(result), encoding="utf-8")  # type: ignore[operator]
    return pages


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if found := shutil.which(name):
            return found
    raise SystemExit("no Chromium on PATH: install one (Debian: apt-get install chromium fonts-noto-cjk)")


def shoot(page: Path, png: Path, width: int, height: int) -> None:
    """A screenshot of ``page`` at ``width`` × ``height`` in headless Chromium (a fresh profile each time)."""
    with tempfile.TemporaryDirectory(prefix="examqa-chromium-") as profile:
        done = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
                               f"--window-size={width},{height}", page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not png.is_file():
        raise SystemExit(f"chromium failed on {page}:\n{done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="folder for the inputs and pages (default: a temporary one)")
    parser.add_argument("--docs", type=Path, default=REPO / "docs", help="where the PNGs go (default docs/)")
    parser.add_argument("--html-only", action="store_true", help="write the pages, take no screenshot")
    parser.add_argument("--full", type=int, metavar="HEIGHT", help="shoot HEIGHT pixels of each page instead")
    parser.add_argument("--only", choices=sorted(SHOTS), action="append", help="only these pages (repeatable)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="examqa-screenshots-"))
    work.mkdir(parents=True, exist_ok=True)
    pages = write_pages(make_inputs(work), work)
    print(f"pages: {', '.join(str(p) for p in pages.values())}")
    if args.html_only:
        return
    for name in args.only or SHOTS:
        file, height = SHOTS[name]
        target = args.docs / file if not args.full else work / file
        shoot(pages[name], target, 1280, args.full or height)
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
