"""Papers: which sittings of an exam a bank holds, and grading one of them.

A verdict is about one paper — one sitting (a year, and a 회차 where the layout names it). A folder of
five years' papers holds five times the items of one; graded as one paper it reads as "보험업법 has 200 of
40 items" and fails everyone. So a bank that holds **more than one paper's items** is refused wherever a
verdict is made (a sheet, a cohort, a model run), naming the papers it holds, and ``validate`` reports it
as an error; :func:`one_paper` with ``paper="2020"`` (``--paper 2020``) grades that paper alone.

More than one paper's items means: a subject with more items than the blueprint gives it, or, where the
blueprint does not count a subject's items, one item number used in two papers. A mock exam assembled from
items of several years (each subject within its count) is one paper and grades as it is.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from examqa.banks._types import Bank, rows_sha256
from examqa.errors import InputError
from examqa.exams.models import Blueprint, Question
from examqa.exams.scoring import choose_edition

PAPER_HINT = ("grade one paper: --paper {example} (paper=\"{example}\" in Python), or give that paper's own "
              "folder or file")


@dataclass(frozen=True)
class Paper:
    """One sitting a bank holds items of."""

    year: int | None
    round: int | None
    items: int

    @property
    def label(self) -> str:
        """``2020``, ``2020 (43회)``, ``43회``, or ``no year`` for items that name none."""
        if self.year is None:
            return f"{self.round}회" if self.round is not None else "no year"
        return f"{self.year} ({self.round}회)" if self.round is not None else str(self.year)

    def names(self) -> set[str]:
        """The spellings ``paper=`` accepts for it."""
        out = {self.label}
        if self.year is not None:
            out.add(str(self.year))
        if self.round is not None:
            out |= {str(self.round), f"{self.round}회", f"제{self.round}회"}
            if self.year is not None:
                out.add(f"{self.year}-{self.round}")
        return out


class SeveralPapersError(InputError):
    """A bank holds more than one paper's items and no paper was named; ``papers`` lists them."""

    def __init__(self, message: str, *, papers: Sequence[Paper], path: Path | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, path=path, hint=hint)
        self.papers = tuple(papers)


def _key(bank: Bank, q: Question) -> tuple[int | None, int | None]:
    return q.year, bank.rounds.get(q.id)


def papers(bank: Bank) -> list[Paper]:
    """The papers ``bank`` holds items of, by year and 회차 (items that name no year last)."""
    counts = Counter(_key(bank, q) for q in bank.questions)
    order = sorted(counts, key=lambda k: (k[0] is None, k[0] or 0, k[1] is None, k[1] or 0))
    return [Paper(year, rnd, counts[(year, rnd)]) for year, rnd in order]


def _listing(found: Sequence[Paper]) -> str:
    return ", ".join(f"{p.label}: {p.items} items" for p in found)


def _example(found: Sequence[Paper]) -> str:
    named = [p for p in found if p.year is not None or p.round is not None]
    last = named[-1] if named else found[-1]
    return str(last.year) if last.year is not None else last.label


def over_one_paper(bank: Bank, blueprint: Blueprint, edition: str | None = None) -> str | None:
    """Why ``bank`` holds more than one paper's items (one line), or None when it fits in one."""
    if not bank.questions:
        return None
    ed = choose_edition(blueprint, bank.questions, edition)
    counts: Counter[str] = Counter()
    numbers: dict[tuple[str, int], set[tuple[int | None, int | None]]] = defaultdict(set)
    for q in bank.questions:
        spec = ed.subject(q.subject)
        if spec is None or spec.accredited:
            continue
        counts[spec.name] += 1
        if q.number is not None:
            numbers[(spec.name, q.number)].add(_key(bank, q))
    for spec in ed.subjects:
        if spec.items is not None and counts[spec.name] > spec.items:
            return f"{spec.name} has {counts[spec.name]} items; one {blueprint.id} paper has {spec.items}"
    uncounted = {s.name for s in ed.subjects if s.items is None}
    for (subject, number), where in numbers.items():
        if subject in uncounted and len(where) > 1:
            return f"{subject} item {number} appears in {len(where)} papers"
    return None


def one_paper(bank: Bank, blueprint: Blueprint, paper: str | int | None = None, *,
              edition: str | None = None) -> Bank:
    """``bank`` as one paper of ``blueprint``'s exam: the paper named, or the whole bank when it is one.

    ``paper`` names a sitting the bank holds — its year (``"2020"``), its 회차 (``"43회"``, ``"43"``), both
    (``"2020-43"``) or its label (``"2020 (43회)"``) — and the items of that paper are kept. Without it,
    a bank that holds more than one paper's items raises :class:`SeveralPapersError` naming the papers
    (see the module docstring); a bank that does not is returned as it is. Raises
    :class:`~examqa.errors.InputError` for a paper the bank does not hold.
    """
    found = papers(bank)
    if paper is not None:
        wanted = str(paper).strip()
        hits = [p for p in found if wanted in p.names()]
        if not hits:
            raise InputError(f"the bank holds no paper {wanted!r}", path=bank.source,
                             hint=f"it holds: {_listing(found)}")
        if len(hits) > 1:
            raise InputError(f"paper {wanted!r} is ambiguous: {_listing(hits)}", path=bank.source,
                             hint="name the year and 회차, e.g. " + "-".join(
                                 str(x) for x in (hits[0].year, hits[0].round) if x is not None))
        return select(bank, hits[0])
    why = over_one_paper(bank, blueprint, edition)
    if why is None:
        return bank
    if len(found) > 1:
        raise SeveralPapersError(
            f"the bank holds {len(found)} papers ({_listing(found)}), more than one paper's items ({why})",
            papers=found, path=bank.source, hint=PAPER_HINT.format(example=_example(found)))
    raise InputError(f"the bank holds more than one paper's items ({why}), and its rows do not say which paper "
                     "each is from (no year)", path=bank.source,
                     hint="split it into one file or folder per paper, or give every row its year")


def select(bank: Bank, paper: Paper) -> Bank:
    """The items of ``paper`` alone, as a bank: the files, warnings and 회차 of those items.

    Its fingerprint is the files' when the paper fills them, else that of the paper's own rows (so
    editing another paper's rows in a shared file does not change it).
    """
    keep = tuple(q for q in bank.questions if _key(bank, q) == (paper.year, paper.round))
    ids = {q.id for q in keep}
    origin = {qid: loc for qid, loc in bank.origin.items() if qid in ids}
    used = {loc.path for loc in origin.values()}
    whole = all(qid in ids for qid, loc in bank.origin.items() if loc.path in used)
    files = [(f, d) for f, d in zip(bank.files, bank.digests or [""] * len(bank.files), strict=True) if f in used]
    digests = tuple(d for _, d in files) if bank.digests else ()
    problems_kept = tuple(p for p in bank.problems
                          if p.question_id in ids or (p.question_id is None and (p.path is None or p.path in used)))
    rounds = {qid: r for qid, r in bank.rounds.items() if qid in ids}
    if whole and type(bank) is Bank:
        return dataclasses.replace(bank, questions=keep, origin=origin, files=tuple(f for f, _ in files),
                                   digests=digests, problems=problems_kept, rounds=rounds)
    exam = getattr(bank, "exam", "")  # a routed bank's exam: part of what its rows' hash is of
    return _PaperBank(questions=keep, origin=origin, format=bank.format, files=tuple(f for f, _ in files),
                      problems=problems_kept, digests=digests, source=bank.source, rounds=rounds,
                      key=f"{exam}@{paper.label}")


@dataclass(frozen=True)
class _PaperBank(Bank):
    """One paper's rows out of a file (or routed bank) that holds several; fingerprinted by those rows."""

    key: str = ""

    def sha256(self) -> str:
        """Fingerprint of the paper's own rows (see :func:`examqa.banks.routed_sha256`)."""
        return rows_sha256(self.key, self.questions)


def papers_answered(bank: Bank, ids: Iterable[str]) -> list[tuple[Paper, int]]:
    """Which papers of ``bank`` the item ids a sheet answers belong to, with how many of each."""
    key_of = {q.id: _key(bank, q) for q in bank.questions}
    counts = Counter(key_of[i] for i in ids if i in key_of)
    return [(p, counts[(p.year, p.round)]) for p in papers(bank) if counts[(p.year, p.round)]]
