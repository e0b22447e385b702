"""The domain model: questions, blueprints (exam facts), answer sheets.

Inputs forbid unknown fields so that a typo in an exam file is an error, not a silently ignored fact.
Points are exact rationals (:class:`fractions.Fraction`): 2.5-point items and 60 % boundaries are where
binary floats give wrong verdicts. Reports live in :mod:`examqa.exams.report`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator, model_validator


def to_fraction(value: Any) -> Fraction:
    """Read points exactly: ``2.5`` → 5/2 via its decimal text, ``"5/2"`` → 5/2, ints as they are."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise ValueError("points must be a number, not a boolean")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value))  # the decimal the file wrote, not the nearest binary float
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"not a number: {value!r}") from exc
    raise ValueError(f"not a number: {value!r}")


def fraction_out(value: Fraction) -> int | float:
    """JSON form of exact points: an int when whole, else the (terminating) decimal as a float."""
    numerator, denominator = value.numerator, value.denominator
    return numerator if denominator == 1 else numerator / denominator  # float(value), without the dispatch


Points = Annotated[Fraction, BeforeValidator(to_fraction), PlainSerializer(fraction_out)]
"""Exact points; read from ints, decimals or ``"a/b"`` strings, written as JSON numbers."""


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------- questions


class Question(_Input):
    """One multiple-choice item with its final answer key (확정답안)."""

    id: str = Field(min_length=1, description="Unique within the bank.")
    subject: str = Field(min_length=1, description="Subject name as the blueprint spells it (Korean).")
    number: int | None = Field(default=None, description="Item number within the subject or session.")
    session: int | None = Field(default=None, description="교시, when the bank records it.")
    year: int | None = None
    stem: str = Field(description="The question text.")
    choices: tuple[str, ...] = Field(min_length=2, description="Choice texts, in printed order; any count.")
    accepted: frozenset[int] = Field(
        min_length=1,
        description="1-based choices that score: one, several (복수정답) or all (전항정답).",
    )
    points: Points | None = Field(default=None, description="Item points; None = the blueprint's.")
    label_style: Literal["number", "letter"] = Field(
        default="number", description="How the paper labels choices: ①②③ or A/B/C."
    )

    @model_validator(mode="after")
    def _keys_in_range(self) -> Question:
        bad = sorted(k for k in self.accepted if not 1 <= k <= len(self.choices))
        if bad:
            raise ValueError(
                f"answer key {bad} out of range 1..{len(self.choices)} for question {self.id!r}"
            )
        return self

    @property
    def all_accepted(self) -> bool:
        """전항정답: every choice scores."""
        return len(self.accepted) == len(self.choices)


# --------------------------------------------------------------------------------------------- blueprints


class Source(_Input):
    """Where a fact comes from. ``verified`` is False for secondary or unestablished facts."""

    id: str
    title: str
    url: str | None = None
    verified: bool = True
    note: str | None = None


class SessionSpec(_Input):
    """A 교시: its number and length."""

    number: int = Field(ge=1)
    minutes: int | None = Field(default=None, description="None where the law does not fix it here.")
    verified: bool = True
    note: str | None = None


class SubjectSpec(_Input):
    """A subject as the blueprint states it."""

    name: str = Field(description="Korean name, as banks spell it.")
    name_en: str
    session: int | None = None
    items: int | None = Field(default=None, description="Item count; None = not established.")
    points_per_item: Points | None = None
    max_points: Points | None = Field(default=None, description="Subject maximum; None = not established.")
    choices: int | None = Field(default=None, description="Choices per item; None = varies (R형).")
    accredited: bool = Field(
        default=False,
        description="Not sat: met by an accredited score (e.g. English), outside the mean and the 과락 check.",
    )
    aliases: tuple[str, ...] = Field(default=(), description="Other spellings banks use for this subject.")
    verified: bool = True
    note: str | None = None


def _subject_key(name: str) -> str:
    """A subject name with spacing, width and part separators folded (for :meth:`Edition.subject`)."""
    import unicodedata

    separators = "·ㆍᆞ・‧,、/"  # middle dots (ㆍ folds to ᆞ under NFKC), commas, slashes
    folded = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in folded if not ch.isspace() and ch not in separators).lower()


class FloorGroup(_Input):
    """Subjects whose points are pooled for the 40 % floor (치과의사 merges some)."""

    name: str
    name_en: str
    subjects: tuple[str, ...] = Field(min_length=1)


class Edition(_Input):
    """The exam as it stood over a span of years (the physician exam changed size in 2022)."""

    id: str
    from_year: int
    to_year: int | None = Field(default=None, description="Last year in force; None = still current.")
    sessions: tuple[SessionSpec, ...] = ()
    subjects: tuple[SubjectSpec, ...] = Field(min_length=1)
    floor_groups: tuple[FloorGroup, ...] = Field(
        default=(), description="Merged 과락 groups; subjects in none stand alone."
    )
    total_points: Points | None = Field(default=None, description="Maximum of the graded subjects.")
    verified: bool = True
    note: str | None = None

    @model_validator(mode="after")
    def _groups_name_subjects(self) -> Edition:
        names = {s.name for s in self.subjects}
        seen: set[str] = set()
        for group in self.floor_groups:
            for subject in group.subjects:
                if subject not in names:
                    raise ValueError(f"floor group {group.name!r} names unknown subject {subject!r}")
                if subject in seen:
                    raise ValueError(f"subject {subject!r} is in two floor groups")
                seen.add(subject)
        return self

    def covers(self, year: int) -> bool:
        """Whether this edition was in force in ``year``."""
        return self.from_year <= year and (self.to_year is None or year <= self.to_year)

    def subject(self, name: str) -> SubjectSpec | None:
        """The subject called ``name`` (or one of its aliases), if any.

        Exact names first; then spellings that differ only in spacing, Unicode width or the separator
        between parts ("민법 (총칙, 물권)" for "민법(총칙·물권)"), when exactly one subject matches so.
        """
        for s in self.subjects:
            if name == s.name or name in s.aliases:
                return s
        key = _subject_key(name)
        loose = [s for s in self.subjects if key in {_subject_key(n) for n in (s.name, *s.aliases)}]
        return loose[0] if len(loose) == 1 else None


class PassRule(_Input):
    """The statutory pass rule: total ≥ ``total_percent`` and every floor group ≥ ``floor_percent``.

    ``basis`` says how the law reads the total: ``total_points`` ("전 과목 총점의 60 % 이상", medical
    exams) or ``subject_mean`` ("전 과목 평균 60점 이상" with every subject scaled to 100, Q-Net and
    insurance exams). "이상" includes the boundary.
    """

    total_percent: Points = Fraction(60)
    floor_percent: Points = Fraction(40)
    basis: Literal["total_points", "subject_mean"] = "total_points"
    text: str = Field(description="The rule as the law words it (Korean).")
    source: str | None = Field(default=None, description="Id of a Source in the blueprint.")


class Blueprint(_Input):
    """Everything examqa knows about one exam, with the sources for each fact."""

    schema_version: Literal[1] = 1
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    domain: str
    name_ko: str
    name_en: str
    body: str = Field(description="The administering body.")
    pass_rule: PassRule
    editions: tuple[Edition, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = ()
    blank_scores_on_all_accepted: bool = Field(
        default=False,
        description="Whether a blank answer scores on a 전항정답 item (not established: default no).",
    )
    unverified: tuple[str, ...] = Field(default=(), description="Facts not yet established, in words.")
    note: str | None = None

    @model_validator(mode="after")
    def _sources_exist(self) -> Blueprint:
        ids = {s.id for s in self.sources}
        if self.pass_rule.source is not None and self.pass_rule.source not in ids:
            raise ValueError(f"pass rule cites unknown source {self.pass_rule.source!r}")
        return self

    def edition(self, year: int | None = None, edition_id: str | None = None) -> Edition:
        """The edition by id, else the one in force in ``year``, else the latest."""
        if edition_id is not None:
            for e in self.editions:
                if e.id == edition_id:
                    return e
            known = ", ".join(e.id for e in self.editions)
            raise ValueError(f"exam {self.id!r} has no edition {edition_id!r} (known: {known})")
        if year is not None:
            for e in self.editions:
                if e.covers(year):
                    return e
        return max(self.editions, key=lambda e: e.from_year)


# --------------------------------------------------------------------------------------------- sheets

Marks = tuple[int, ...]
"""The choices a candidate marked on one item: () = blank, two or more = a double mark (scores nothing)."""


class AnswerSheet(BaseModel):
    """A candidate's marks by question id. Ids absent from the sheet count as blank.

    ``marks`` takes what every other door takes (:func:`examqa.exams.marks.read_marks`): a choice as any
    whole number or its text (``3``, ``3.0``, ``"3"``, ``"③"``), several for a double mark (``[2, 4]``,
    ``"2;4"``), or a blank (``None``, NaN, ``""``). Anything else is one
    :class:`~examqa.errors.InputError` naming the item. Letters need the item's labels: grade them through
    :func:`examqa.sheets.grade_sheet`.
    """

    model_config = ConfigDict(frozen=True)

    marks: dict[str, Marks]
    source: str | None = Field(default=None, description="Where the sheet came from (a path).")

    @field_validator("marks", mode="before")
    @classmethod
    def _read_cells(cls, value: Any) -> Any:
        from collections.abc import Mapping

        from examqa.errors import InputError
        from examqa.exams.marks import read_marks

        if not isinstance(value, Mapping):
            raise InputError(f"AnswerSheet marks must be a mapping of question id to mark, not "
                             f"{type(value).__name__}", hint='e.g. {"CUS-01": 3, "CUS-02": None}')
        out: dict[str, Marks] = {}
        for key, cell in value.items():
            if isinstance(key, bool) or not isinstance(key, str | int):
                raise InputError(f"question id {key!r} is not text", hint="ids are the bank's, e.g. 'CUS-01'")
            qid = str(key)
            out[qid] = read_marks(cell, qid=qid)
        return out
