"""The domain model: questions, blueprints (exam facts), answer sheets.

Inputs forbid unknown fields so that a typo in an exam file is an error, not a silently ignored fact.
Points are exact rationals (:class:`fractions.Fraction`): 2.5-point items and 60 % boundaries are where
binary floats give wrong verdicts. Reports live in :mod:`examqa.exams.report`.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator, model_validator

_FLOAT_DIGITS = 15
"""A float whose shortest decimal has more significant digits than this is a binary rounding (110/3 written
as 36.666666666666664), not a decimal someone wrote."""
_FLOAT_DENOMINATOR = 10_000


def to_fraction(value: Any) -> Fraction:
    """Read points exactly: ``2.5`` → 5/2 via its decimal text, ``"5/2"`` or ``"110/3"`` → that fraction, ints
    as they are. A float that is the binary rounding of a fraction (``36.666666666666664``, as examqa before
    0.3 wrote 110/3) is read as the simplest fraction it rounds from (denominator up to 10,000)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise ValueError("points must be a number, not a boolean")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        text = repr(value)  # the decimal the file wrote, not the nearest binary float
        mantissa = text.split("e")[0].split("E")[0].replace("-", "").replace(".", "").lstrip("0")
        if len(mantissa) > _FLOAT_DIGITS and value == value and abs(value) != float("inf"):
            simplest = Fraction(value).limit_denominator(_FLOAT_DENOMINATOR)
            if float(simplest) == value:
                return simplest
        try:
            return Fraction(text)
        except ValueError as exc:
            raise ValueError(f"not a number: {value!r}") from exc
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError) as exc:
            raise ValueError(f"not a number: {value!r}") from exc
    raise ValueError(f"not a number: {value!r}")


ExactText = Annotated[str, Field(pattern=r"^-?\d+/\d+$", description="A fraction that is no terminating decimal, "
                                 "exactly: numerator/denominator in lowest terms (110/3).")]


@functools.lru_cache(maxsize=4096)
def _non_integer_out(numerator: int, denominator: int) -> float | str:
    as_float = numerator / denominator
    return as_float if Fraction(repr(as_float)) == Fraction(numerator, denominator) else f"{numerator}/{denominator}"


def fraction_out(value: Fraction) -> int | float | ExactText:
    """Exact points as JSON writes them: an int when whole, the decimal as a float when it terminates and
    the float's shortest text is that decimal (2.5, 37.5), else ``"numerator/denominator"`` (``"110/3"``).

    Every form reads back to the same :class:`~fractions.Fraction` (:func:`to_fraction`). ``model_dump()``
    gives the same forms: pydantic turns a Fraction into a string in Python mode whatever a serializer
    returns (pydantic/pydantic#12286), so the model's attributes are where points stay Fractions.
    """
    numerator, denominator = value.numerator, value.denominator
    return numerator if denominator == 1 else _non_integer_out(numerator, denominator)


Points = Annotated[Fraction, BeforeValidator(to_fraction), PlainSerializer(fraction_out)]
"""Exact points: a Fraction in Python; read from ints, decimals or ``"a/b"`` strings; written as JSON numbers
when they terminate (35, 37.5) and as ``"a/b"`` strings when they do not (``"110/3"``)."""


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
    elective: str | None = Field(
        default=None,
        description="The elective slot this subject fills (e.g. 선택과목): a candidate sits one subject of each "
                    "slot, and is graded on that one alone.")
    verified: bool = True
    note: str | None = None


def _subject_key(name: str) -> str:
    """A subject name with spacing, width and part separators folded (for :meth:`Edition.subject`)."""
    import unicodedata

    separators = "·ㆍᆞ・‧,、/"  # middle dots (ㆍ folds to ᆞ under NFKC), commas, slashes
    folded = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in folded if not ch.isspace() and ch not in separators).lower()


class FloorGroup(_Input):
    """Subjects whose points are pooled for the 40 % floor (치과의사 merges some).

    A bank may label items by the group itself (KMMLU-Pro's dentist rows say ``소아치과학/치과교정학``): such an
    item counts toward the group's pooled points (:meth:`Edition.subject` returns the group as a subject).
    """

    name: str
    name_en: str
    subjects: tuple[str, ...] = Field(min_length=1)
    aliases: tuple[str, ...] = Field(default=(), description="Other spellings banks use for the whole group.")


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
            if group.name in names:
                raise ValueError(f"floor group {group.name!r} has the name of a subject")
        slots: dict[str, list[SubjectSpec]] = {}
        for s in self.subjects:
            if s.elective is not None:
                slots.setdefault(s.elective, []).append(s)
        for slot, members in slots.items():
            if len(members) < 2:
                raise ValueError(f"elective slot {slot!r} has one subject; an elective offers a choice of two or more")
            if any(m.accredited for m in members):
                raise ValueError(f"elective slot {slot!r} holds an accredited subject")
        return self

    @property
    def electives(self) -> dict[str, tuple[str, ...]]:
        """Elective slot → its subjects, in blueprint order (empty when the exam has none)."""
        slots: dict[str, list[str]] = {}
        for s in self.subjects:
            if s.elective is not None:
                slots.setdefault(s.elective, []).append(s.name)
        return {slot: tuple(names) for slot, names in slots.items()}

    def covers(self, year: int) -> bool:
        """Whether this edition was in force in ``year``."""
        return self.from_year <= year and (self.to_year is None or year <= self.to_year)

    def subject(self, name: str) -> SubjectSpec | None:
        """The subject called ``name`` (or one of its aliases), if any.

        Exact names first; then spellings that differ only in spacing, Unicode width or the separator
        between parts ("민법 (총칙, 물권)" for "민법(총칙·물권)"), when exactly one subject matches so.
        A merged 과락 group's name (or alias) names the group itself, as a subject whose items count toward
        the group's pooled points (:meth:`group_subject`).
        """
        for s in self.subjects:
            if name == s.name or name in s.aliases:
                return s
        candidates = (*self.subjects, *self.group_subjects)
        for s in self.group_subjects:
            if name == s.name or name in s.aliases:
                return s
        key = _subject_key(name)
        loose = [s for s in candidates if key in {_subject_key(n) for n in (s.name, *s.aliases)}]
        return loose[0] if len(loose) == 1 else None

    @cached_property
    def group_subjects(self) -> tuple[SubjectSpec, ...]:
        """Every merged group as a subject of its own (:meth:`group_subject`), in group order."""
        return tuple(self.group_subject(g) for g in self.floor_groups)

    def group_subject(self, group: FloorGroup) -> SubjectSpec:
        """A merged group as a subject of its own: items a bank labels by the whole group count toward it."""
        members = [s for s in self.subjects if s.name in group.subjects]
        choices = {s.choices for s in members}
        session = {s.session for s in members}
        return SubjectSpec(name=group.name, name_en=group.name_en, aliases=group.aliases,
                           choices=choices.pop() if len(choices) == 1 else None,
                           session=session.pop() if len(session) == 1 else None,
                           points_per_item=_common(s.points_per_item for s in members),
                           verified=all(s.verified for s in members),
                           note=f"items labelled by the merged group {group.name} (any of {', '.join(group.subjects)})")

    def group_of(self, subject: str) -> FloorGroup | None:
        """The merged group ``subject`` (a subject's or a group's own name) belongs to, if any."""
        for g in self.floor_groups:
            if subject == g.name or subject in g.subjects:
                return g
        return None


def _common(values: Any) -> Fraction | None:
    found = set(values)
    return found.pop() if len(found) == 1 else None


class Cut(_Input):
    """One year's announced 합격선 of an exam that passes by rank within a quota.

    Published either as a mean out of 100 (``mean``: 변리사, 법무사) or as total points (``points`` out of
    ``of_points``: 공인회계사 384.5 of 550). Either way it is held against the measure the law ranks on:
    the mean of subject scores (``subject_mean``) or the percent of the total (``total_points``).
    """

    year: int
    round: int | None = Field(default=None, description="The exam's round (회), when known.")
    mean: Points | None = Field(default=None, description="The cut as a mean out of 100, as published.")
    points: Points | None = Field(default=None, description="The cut in total points, as published.")
    of_points: Points | None = Field(default=None, description="The maximum ``points`` is out of (550, 510).")
    source: str = Field(description="Id of a Source in the blueprint.")
    verified: bool = True
    note: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Cut:
        if (self.mean is None) == (self.points is None):
            raise ValueError(f"cut {self.year}: give exactly one of mean or points")
        if self.points is not None and not self.of_points:
            raise ValueError(f"cut {self.year}: points needs of_points (the maximum it is out of)")
        return self

    @property
    def percent(self) -> Fraction:
        """The cut as a percent of the measure: the mean itself, or points ÷ maximum × 100."""
        if self.mean is not None:
            return self.mean
        assert self.points is not None and self.of_points is not None
        return self.points * 100 / self.of_points

    @property
    def published(self) -> str:
        """The cut as the announcement wrote it (``76.66 (mean of 100)``, ``384.5 / 550 points``)."""
        if self.mean is not None:
            return f"{_decimal(self.mean)} (mean of 100)"
        assert self.points is not None and self.of_points is not None
        return f"{_decimal(self.points)} / {_decimal(self.of_points)} points"


def _decimal(value: Fraction) -> str:
    """A published figure as it was written: 60, 76.66, 384.5 (they are terminating decimals)."""
    return str(value.numerator) if value.denominator == 1 else repr(float(value))


RuleKind = Literal["absolute", "rank", "part"]
"""How the law decides: ``absolute`` lines (40 % / 60 %); ``rank``: the lines make a candidate eligible and the
pass goes by rank within a quota (the year's announced 합격선 decides); ``part``: the paper is one part of a
larger exam, and the law decides on the whole (변호사시험 선택형)."""


def rule_decides(kind: RuleKind, has_cut: bool) -> bool:
    """Whether a sheet that meets every line of a paper passes under the law: always under ``absolute``
    lines, under ``rank`` only with the year's announced cut (``has_cut``), never for a ``part``."""
    return kind == "absolute" or (kind == "rank" and has_cut)


class PassRule(_Input):
    """The statutory pass rule: total ≥ ``total_percent`` and every floor group ≥ ``floor_percent``.

    ``basis`` says how the law reads the total: ``total_points`` ("전 과목 총점의 60 % 이상", medical
    exams) or ``subject_mean`` ("전 과목 평균 60점 이상" with every subject scaled to 100, Q-Net and
    insurance exams). "이상" includes the boundary. ``total_percent`` 0 means the law sets no total line
    (법무사 1차: floors only, then rank).

    ``kind`` (:data:`RuleKind`) says whether those lines decide: for ``rank`` the verdict needs the year's
    announced cut (``cuts``); without one a sheet that meets the lines is *eligible*, not passed. For ``part``
    nothing this paper holds decides (``whole`` says what does).
    """

    kind: RuleKind = "absolute"
    total_percent: Points = Fraction(60)
    floor_percent: Points = Fraction(40)
    basis: Literal["total_points", "subject_mean"] = "total_points"
    text: str = Field(description="The rule as the law words it (Korean).")
    source: str | None = Field(default=None, description="Id of a Source in the blueprint.")
    cuts: tuple[Cut, ...] = Field(default=(), description="Announced 합격선 by year (rank only).")
    quota: str | None = Field(default=None, description="The quota the rank fills, in words (rank only).")
    whole: str | None = Field(default=None, description="What decides the whole exam, in words (part only).")

    @model_validator(mode="after")
    def _kind_fits(self) -> PassRule:
        if self.cuts and self.kind != "rank":
            raise ValueError("announced cuts belong to a rank rule (kind: rank)")
        years = [c.year for c in self.cuts]
        if len(set(years)) != len(years):
            raise ValueError("two cuts for one year")
        if self.kind == "part" and not self.whole:
            raise ValueError("a part rule says what decides the whole exam (whole)")
        return self

    def cut(self, year: int | None) -> Cut | None:
        """The announced cut of ``year``, if examqa knows one."""
        return next((c for c in self.cuts if c.year == year), None) if year is not None else None


class PaperRule(_Input):
    """The KMMLU-Pro paper's own simplified rule for this licence (arXiv 2507.08924, App. E.3).

    Every floor unit (a merged group or a subject alone; ``floor_unit: subject`` floors every subject even
    inside a group) ≥ ``floor_percent``; the mean of the units' percents ≥ ``mean_percent`` (None: no mean
    rule); the percent of the total ≥ ``cut_percent`` when set. Not the law: shown beside it.
    """

    floor_percent: Points = Fraction(40)
    mean_percent: Points | None = Fraction(60)
    cut_percent: Points | None = None
    floor_unit: Literal["group", "subject"] = "group"
    text: str = "매 과목 40% 이상, 평균 60% 이상 (KMMLU-Pro)"
    verified: bool = False
    note: str | None = None


PAPER_RULE = PaperRule(note="the paper's general rule (App. E.3): at least 40 % in every subject and a mean of "
                            "60 %; not re-read against the paper's code")
"""The paper's rule for a licence whose blueprint states no exception."""


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
    licence_names: tuple[str, ...] = Field(
        default=(), description="Other names a bank may give the licence (KMMLU-Pro's license_name, English): "
                                "rows naming any of them route to this exam, like ``name_ko``.")
    paper_rule: PaperRule | None = Field(
        default=None, description="The KMMLU-Pro paper's rule for this licence, when it is not the general one.")

    @model_validator(mode="after")
    def _sources_exist(self) -> Blueprint:
        ids = {s.id for s in self.sources}
        if self.pass_rule.source is not None and self.pass_rule.source not in ids:
            raise ValueError(f"pass rule cites unknown source {self.pass_rule.source!r}")
        for cut in self.pass_rule.cuts:
            if cut.source not in ids:
                raise ValueError(f"the {cut.year} cut cites unknown source {cut.source!r}")
        return self

    def source(self, source_id: str | None) -> Source | None:
        """The source cited as ``source_id`` (the first of that id), or None when there is none."""
        return next((s for s in self.sources if s.id == source_id), None)

    @property
    def paper(self) -> PaperRule:
        """The KMMLU-Pro paper's rule for this licence (the general one unless the blueprint says otherwise)."""
        return self.paper_rule or PAPER_RULE

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
