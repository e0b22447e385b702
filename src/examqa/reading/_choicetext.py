"""Reading a choice from its *text*: the private half of :mod:`examqa.reading.parse`.

An item's choices are indexed once (:func:`choice_index`, cached). A value is then read against them as

* an **exact** text (ignoring case, spacing, punctuation and a won sign: ``₩180,000`` = ``180,000원``);
* a **set** of ㄱ/ㄴ/ㄷ or 가/나/다 items when every choice is such a set;
* a **named term**: a short choice (a drug, a diagnosis, an amount) that occurs in the value as a whole
  word — followed by a space, punctuation or a particle, never glued to more letters
  ("아목시실린 투여" names 아목시실린; "아목시실린-클라불란산" and "13개월" name nothing);
* a **described statement**: the value says a long choice in other words (other particles, endings,
  words left out). Both are cut into syllable pairs, after dropping each word's particle; the value
  must be mostly made of one choice's pairs, carry no number that choice lacks, and be told apart
  from every other choice by pairs only that choice has ("대리할 수 없다" against "대리할 수 있다");
* **fuzzy**: ``rapidfuzz.fuzz.ratio`` ≥ 85 with a margin of 10, numbers equal.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import re
from dataclasses import dataclass
from typing import NamedTuple

from rapidfuzz import fuzz, process

FUZZY_THRESHOLD = 85.0
FUZZY_MARGIN = 10.0
DESCRIBE_MIN_PAIRS = 4  # a value this short ("위험 변경") says too little to pick out a statement
DESCRIBE_COVERAGE = 0.6  # share of the value's syllable pairs that the described choice must contain
TERM_MAX = 24  # longer choices are statements: read by description, not as a named term

# Full-width ASCII (３, ：, Ｂ) → ASCII; odd spaces → space; zero-width characters dropped.
TRANSLATE: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
TRANSLATE.update({0x3000: 0x20, 0x00A0: 0x20, 0x200B: None, 0x200C: None, 0x200D: None, 0xFEFF: None,
                  0xFFE6: 0x20A9})  # full-width won sign → ₩
ODD_CHARS_RE = re.compile("[\uff01-\uff5e\u3000\u00a0\u200b-\u200d\ufeff\uffe6]")

JAMO = "ㄱㄴㄷㄹㅁㅂㅅㅇㅈㅊㅋㅌㅍㅎ"
SYLLABLES = "가나다라마바사아자차카타파하"
ITEM_CANON: dict[str, str] = {}
for _i, (_j, _s) in enumerate(zip(JAMO, SYLLABLES, strict=True)):
    ITEM_CANON[_j] = ITEM_CANON[chr(0x3260 + _i)] = ITEM_CANON[chr(0x3200 + _i)] = _j  # ㄱ ㉠ ㈀
    ITEM_CANON[_s] = ITEM_CANON[chr(0x326E + _i)] = ITEM_CANON[chr(0x320E + _i)] = _s  # 가 ㉮ ㈎
_ITEM_TOKEN = "".join(ITEM_CANON)
_ITEM_RE = re.compile(rf"[(（][ \t]*(?P<pi>[{_ITEM_TOKEN}])[ \t]*[)）]|(?P<i>[{_ITEM_TOKEN}])")
_ITEM_SEP_RE = re.compile(r"[ \t]*(?:,|、|·|/|및|과|와|그리고|and|&)[ \t]*|[ \t]+")
_SYLLABLE_BOUND_RE = re.compile(r"$|[^가-힣]|(?:이|가|만|은|는|을|를|의|과|와|로|입니다|이다|임|모두|뿐)")

_ENDINGS = sorted(["입니다", "이다", "임", "이에요", "예요", "이요", "이며", "이고", "이죠", "이겠습니다",
                   "일 것이다", "일것이다", "이라고 본다", "이라고 판단된다"], key=len, reverse=True)
_ENDING_TUPLE = tuple(_ENDINGS)
_ENDINGS_BY_LENGTH = tuple((n, frozenset(e for e in _ENDINGS if len(e) == n))
                           for n in sorted({len(e) for e in _ENDINGS}, reverse=True))
_TAIL_ANSWER_RE = re.compile(r"\s*(?:이|가)\s*(?:최종\s*)?(?:정답|답)$")
_TAIL_PUNCT = " \t\n.!。…~"
# "…할 수 있다는 설명", "…무효라는 내용", "…3년이라고 한 것": the frame around a choice said in a sentence.
_WRAPPER_NOUNS = ("설명", "내용", "진술", "서술", "지문", "보기", "선지", "선택지", "문장", "부분", "항목", "것", "점",
                  "주장", "취지")
_WRAPPER_RE = re.compile(
    r"(?:[ \t]*(?:(?:이)?라고[ \t]*(?:한|된|하는)|고[ \t]*(?:한|하는)|(?:이)?라는|는|인|한|된)[ \t]*|[ \t]+)"
    r"(?:설명|내용|진술|서술|지문|보기|선지|선택지|문장|부분|항목|것|점|주장|취지)$")
_LETTER_LIKE_RE = re.compile(r"[a-z]번?(?:입니다|이다|임)?")
_LABEL_LIKE_RE = re.compile(r"(?:[\u2460-\u2473\u24eb-\u24fe\u2776-\u2793]|\d{1,2})번?(?:입니다|이다|임)?")
_KEY_DROPPED = " \t\n\r\f\v.,·、:;!?'\"“”‘’()[]{}<>「」『』-–—~*_`₩"
_NORM_STRIP_RE = re.compile(r"[\s.,·、:;!?'\"“”‘’()\[\]{}<>「」『』\-–—~*_`₩]+")
_WON_RE = re.compile(r"(?<=[\d만억천])원")
_PUNCT_RE = re.compile(r"[.,·、:;!?'\"“”‘’()\[\]{}<>「」『』\-–—~*_`₩]")
_PLAIN_NUMBER_RE = re.compile(r"[\d.,\s%]+")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_TOPIC_TAIL_RE = re.compile(r"(?:은|는)(?![\w])")
_NEGATING_PREFIXES = "무불비미몰"
_WORD_RE = re.compile(r"[0-9A-Za-z가-힣ㄱ-ㅎ]+")
# Particles and copulas dropped from the end of a word before comparing statements ("보험자가" = "보험자는").
_PARTICLES = sorted(["에서는", "으로는", "에게는", "이라는", "이라고", "이라면", "으로서", "으로써", "에서", "에게",
                     "으로", "부터", "까지", "보다", "라는", "라고", "이다", "이며", "이고", "에는", "와는", "과는",
                     "은", "는", "이", "가", "을", "를", "의", "에", "로", "와", "과", "도", "만"],
                    key=len, reverse=True)
# What may follow a named term: a particle or copula, then no more letters.
_TERM_TAIL = ("(?:" + "|".join(sorted([
    "이", "가", "은", "는", "을", "를", "의", "에", "에서", "에게", "로", "으로", "으로는", "로는", "와", "과",
    "도", "만", "나", "이나", "이며", "이고", "이다", "입니다", "이에요", "예요", "임", "일", "인", "이라는", "라는",
    "이라고", "라고", "이므로", "므로", "이지만", "이었다", "였다", "이란", "란", "에는", "이요", "요", "까지", "부터",
    "보다", "처럼", "뿐", "이면", "이라면", "이겠다", "이겠습니다", "이었습니다", "였습니다", "입니다만",
    "이어서", "여서"],
    key=len, reverse=True)) + r")?(?![\w\-])")


class Verdict(NamedTuple):
    """A reading: a 1-based choice and how it was found, or None and why not."""

    choice: int | None
    method: str


@dataclass(frozen=True, slots=True)
class ChoiceIndex:
    """What is needed to read an item's choices, built once per item (see :func:`choice_index`)."""

    n: int
    letters: bool
    norms: tuple[str, ...]
    exact: dict[str, int]
    loose: dict[str, int]  # texts without their sentence ending ("…무효" for "…무효이다."), where unique
    sets: tuple[frozenset[str], ...] | None
    terms: re.Pattern[str] | None  # one alternation over the term-like choices, group ``t<k>`` per choice
    pairs: tuple[frozenset[str], ...]  # syllable pairs of each statement-like choice (empty for short ones)
    numbers: tuple[frozenset[str], ...]
    polarities: tuple[Polarity, ...]
    label_like: bool  # some choice text reads like a label ("2", "③", "3번"): no quick label reading
    heads: frozenset[str]  # first characters of the exact and loose keys: a cheap test before ``key``
    heads2: frozenset[str]  # their first two characters
    keys_by_head: dict[str, tuple[str, ...]]  # the exact and loose keys by their first character
    key_lengths: tuple[int, int]  # shortest and longest choice key, for the fuzzy length bound
    keyed: dict[int, str]  # index → key of the choices with a text, for rapidfuzz
    any_pairs: bool  # some choice is a statement that a value can describe
    term_heads: frozenset[str]  # first characters of the term-like choices: a cheap test before the regex
    negative: bool | None = None  # the question asks for the choice that is NOT so ("옳지 않은 것은?"); None: unknown


def norm(s: str) -> str:
    """Case, spacing, punctuation and the won sign removed: the key for exact text equality."""
    return key(s.translate(TRANSLATE))


def key(s: str) -> str:
    """:func:`norm` of a text already translated (parsing cleans an answer once, then reads its parts)."""
    s = "".join(s.split())  # spaces first, with plain string operations: far cheaper than a regex sub
    if _PUNCT_RE.search(s):
        s = _NORM_STRIP_RE.sub("", s)
    s = s.lower()
    return _WON_RE.sub("", s) if "원" in s else s


def strip_endings(s: str) -> str:
    """Drop a Korean sentence ending ("…입니다.", "…이 정답이다") so the rest can equal a choice text."""
    s = s.rstrip(_TAIL_PUNCT)
    if s.endswith(_ENDING_TUPLE):
        for n, endings in _ENDINGS_BY_LENGTH:  # the longest ending first
            if s[-n:] in endings:
                s = s[:-n]
                break
    if s.endswith("답"):
        # Search only the tail: a regex anchored at $ but tried from every position is quadratic.
        tail = _TAIL_ANSWER_RE.search(s, max(0, len(s) - 12))
        if tail:
            s = s[: tail.start()]
    return s.rstrip(_TAIL_PUNCT)


def strip_wrapper(s: str) -> str:
    """The choice inside "…라는 설명", "…다는 것", "…이라고 한 내용" (endings already stripped)."""
    if not s.endswith(_WRAPPER_NOUNS):
        return s
    m = _WRAPPER_RE.search(s, max(0, len(s) - 16))
    return s[: m.start()].rstrip(_TAIL_PUNCT) if m and m.start() > 0 else s


def parse_items(s: str) -> tuple[frozenset[str], int] | None:
    """Read a leading ㄱ/ㄴ/ㄷ or 가/나/다 set; return it and where it ends, or None."""
    m = _ITEM_RE.match(s)
    if not m:
        return None
    items = [m.group("pi") or m.group("i")]
    ends = [m.end()]
    pos = m.end()
    while True:
        sep = _ITEM_SEP_RE.match(s, pos)
        nxt = _ITEM_RE.match(s, sep.end() if sep else pos)
        if nxt is None:
            break
        item = nxt.group("pi") or nxt.group("i")
        # Adjacent items only for jamo-like symbols: "ㄱㄷ" is a set, "가나" or "다음" is a word.
        if sep is None and (ITEM_CANON[item] in SYLLABLES or ITEM_CANON[items[-1]] in SYLLABLES):
            break
        items.append(item)
        ends.append(nxt.end())
        pos = nxt.end()
    # A syllable item must end at a boundary ("다음과" is no set); back off until one does.
    while items:
        last, end = items[-1], ends[-1]
        if ITEM_CANON[last] in JAMO or _SYLLABLE_BOUND_RE.match(s, end):
            return frozenset(ITEM_CANON[i] for i in items), end
        items.pop()
        ends.pop()
    return None


_PARTICLES_BY_LENGTH = tuple(frozenset(p for p in _PARTICLES if len(p) == n) for n in (3, 2, 1))


def _without_particle(word: str) -> str:
    """The word without its particle (the longest that leaves something of the word)."""
    if "가" <= word[-1] <= "힣":
        for n, particles in zip((3, 2, 1), _PARTICLES_BY_LENGTH, strict=True):
            if len(word) > n and word[-n:] in particles:
                return word[:-n]
    return word


def _pairs(words: list[str]) -> frozenset[str]:
    joined = "".join(words)
    return frozenset(map(operator.add, joined, joined[1:]))


def _words(s: str) -> list[str]:
    """The text's words, lowercased, each without its particle (see :func:`_without_particle`, inlined:
    this runs for every statement-like value)."""
    three, two, one = _PARTICLES_BY_LENGTH
    words = _WORD_RE.findall(s.lower())
    for i, w in enumerate(words):
        if "가" <= w[-1] <= "힣":
            n = len(w)
            if n > 3 and w[-3:] in three:
                words[i] = w[:-3]
            elif n > 2 and w[-2:] in two:
                words[i] = w[:-2]
            elif n > 1 and w[-1] in one:
                words[i] = w[:-1]
    return words


def syllable_pairs(s: str) -> frozenset[str]:
    """Adjacent character pairs of the text with each word's particle dropped and the spaces closed."""
    return _pairs(_words(s))


class Polarity(NamedTuple):
    """Negations in a statement: how many, whether its last words are negated ("…할 수 없다", "…하지
    않는다"), its words, and those of its words that a negating prefix turns around (무세포성 → 세포성)."""

    negations: int
    negated_end: bool
    words: frozenset[str]
    prefixed: frozenset[str]


def _negations(s: str) -> int:
    return s.count("없") + s.count("않") + s.count("아니") + s.count("못")


def polarity(s: str, words: list[str] | None = None) -> Polarity:
    """The :class:`Polarity` of a statement (``words``: its :func:`_words`, when already at hand)."""
    words = _words(s) if words is None else words
    prefixed = frozenset(w[1:] for w in words if len(w) >= 3 and w[0] in _NEGATING_PREFIXES)
    return Polarity(_negations(s), _negations(" ".join(words[-2:])) > 0, frozenset(words), prefixed)


def _same_polarity(said: Polarity, choice: Polarity) -> bool:
    """A value may leave out parts of a statement, never turn it around: no negation the choice lacks,
    the same polarity at the end, and no word with or without a negating prefix the other gives it."""
    return (said.negations <= choice.negations and said.negated_end == choice.negated_end
            and not (choice.prefixed & said.words) and not (said.prefixed & choice.words))


def numbers(s: str) -> frozenset[str]:
    """The numbers a text states, thousands separators removed ("1,000만원" → {"1000"})."""
    return frozenset(m.replace(",", "") for m in _NUMBER_RE.findall(s))


def _term_starts(text: str) -> str:
    """The characters a term's match can start with: its first letter, or ₩ before an amount."""
    t = text.strip().lower().lstrip(_KEY_DROPPED)
    return (t[:1] + t[:1].upper() + ("₩" if t[:1].isdigit() else "")) if t else ""


def _term_pattern(text: str) -> str | None:
    """A regex for a short choice as a whole word; None for statements, bare numbers and empty texts."""
    t = text.strip().rstrip(".").strip().lower()
    if not t or _PLAIN_NUMBER_RE.fullmatch(t) or not 2 <= len(norm(t)) <= TERM_MAX or t.endswith("다"):
        return None
    money = t.startswith("₩") or (t.endswith("원") and any(c.isdigit() for c in t))
    parts: list[str] = []
    for ch in t.removeprefix("₩").removesuffix("원") if money else t:
        if ch.isspace():
            if parts and parts[-1] != r"\s*":
                parts.append(r"\s*")
        elif ch == ",":
            parts.append(",?")
        elif _NORM_STRIP_RE.fullmatch(ch):
            parts.append(r"[\s\-·/.]?")
        else:
            parts.append(re.escape(ch))
    body = "".join(parts)
    return rf"(?:₩\s*)?{body}(?:\s*원)?" if money else body


def _by_head(keys: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for k in keys:
        grouped.setdefault(k[:1], []).append(k)
    return {head: tuple(ks) for head, ks in grouped.items()}


# Two caches, so that the polarity versions do not push out the plain indexes they are built from:
# each holds one entry per item of an exam (a 2-day licence exam has 300-550 items).
@functools.lru_cache(maxsize=2048)
def choice_index(choices: tuple[str, ...], letters: bool, negative: bool | None = None) -> ChoiceIndex:
    """Index an item's choice texts (cached: an exam reuses each item's choices for every sample).

    ``negative`` is the question's polarity (a negative ask, a positive one, or None when unknown): the
    index of the same choices, with the polarity that reading a statement about a choice depends on.
    """
    if negative is not None:
        return dataclasses.replace(_plain_index(choices, letters), negative=negative)
    return _plain_index(choices, letters)


@functools.lru_cache(maxsize=1024)
def _plain_index(choices: tuple[str, ...], letters: bool) -> ChoiceIndex:
    """The index of an item's choices, without a polarity (see :func:`choice_index`)."""
    texts = tuple(c.translate(TRANSLATE) for c in choices)
    norms = tuple(key(t) for t in texts)
    counts: dict[str, int] = {}
    for nc in norms:
        counts[nc] = counts.get(nc, 0) + 1
    # Duplicate or empty texts (PDF extraction defects) cannot identify a choice.
    unique = [bool(nc) and counts[nc] == 1 for nc in norms]
    exact = {nc: i + 1 for i, nc in enumerate(norms) if unique[i]}
    loose_counts: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        if unique[i]:
            loose_counts.setdefault(key(strip_endings(t.strip())), []).append(i + 1)
    loose = {k: ks[0] for k, ks in loose_counts.items() if k and len(ks) == 1 and k not in exact}
    sets: list[frozenset[str]] = []
    for t in texts:
        stripped = t.strip().rstrip(".,").rstrip()
        parsed = parse_items(stripped) if stripped else None
        if stripped and (parsed is None or parsed[1] != len(stripped)):
            break  # one choice that is not a set: this is no combination item
        sets.append(parsed[0] if parsed else frozenset())
    combo = len(sets) == len(choices) and sum(1 for st in sets if st) >= 2
    alternatives: list[tuple[int, int, str]] = []  # (length, choice index, pattern)
    for i, t in enumerate(texts):
        pattern = _term_pattern(t) if unique[i] and not combo else None
        if pattern is not None:
            alternatives.append((len(norms[i]), i, f"(?P<t{i + 1}>{pattern})"))
    # Longest first, so that of two terms at one place the longer one ("급성 충수염 천공") is the match.
    alternatives.sort(key=lambda a: -a[0])
    # The lookahead gives the scan the characters a term can start with (a lookbehind first gives none).
    firsts = "".join(sorted({c for _, i, _ in alternatives for c in _term_starts(texts[i])}))
    terms = (re.compile(rf"(?=[{re.escape(firsts)}])(?<![\w])(?:" + "|".join(a for _, _, a in alternatives) + ")"
                        + _TERM_TAIL, re.I) if alternatives else None)
    pairs = tuple(syllable_pairs(t) if unique[i] and len(norms[i]) > 6 else frozenset() for i, t in enumerate(texts))
    return ChoiceIndex(
        n=len(choices), letters=letters, norms=norms, exact=exact, loose=loose,
        sets=tuple(sets) if combo else None, terms=terms, pairs=pairs,
        numbers=tuple(numbers(t) for t in texts), polarities=tuple(polarity(t) for t in texts),
        label_like=any(_LABEL_LIKE_RE.fullmatch(k) or (letters and _LETTER_LIKE_RE.fullmatch(k)) for k in exact),
        heads=frozenset(k[:1] for k in (*exact, *loose)),
        heads2=frozenset(k[:2] for k in (*exact, *loose)),
        keys_by_head=_by_head((*exact, *loose)),
        key_lengths=(min((len(k) for k in norms if k), default=0), max((len(k) for k in norms), default=0)),
        keyed={i: k for i, k in enumerate(norms) if k},
        any_pairs=any(pairs),
        term_heads=frozenset(norms[i][:1] for _, i, _ in alternatives))


# ------------------------------------------------------------------------------------------ readings

def may_be_key(s: str, idx: ChoiceIndex) -> bool:
    """Whether ``key(s)`` can be a choice's key at all: its first two characters must start one."""
    t = s.lstrip(_KEY_DROPPED)
    first = t[:1].lower()
    if first not in idx.heads:
        return False
    second = t[1:12].lstrip(_KEY_DROPPED)[:1].lower()
    # A shorter candidate (the value without its ending) may stop after its first character, and a won
    # sign after a number is dropped from keys ("5원" = "5"): then only the first character counts.
    return first + second in idx.heads2 or first in idx.heads2 or (second == "원" and first in "0123456789만억천")


def starts_like_key(s: str, idx: ChoiceIndex) -> bool:
    """Whether some beginning of ``s`` can have a choice's key: the key of a beginning is a beginning of
    the key (keys drop and lowercase characters one by one), so one key and a few prefix tests decide."""
    if not may_be_key(s, idx):
        return False
    whole = key(s)
    return any(whole.startswith(k) for k in idx.keys_by_head.get(whole[:1], ()))


def exact_or_set(cands: list[str], idx: ChoiceIndex) -> Verdict | None:
    """Exact choice text or combination set (``cands`` are the value's readings, whole value first)."""
    if idx.sets is not None:
        exact = idx.exact.get(key(cands[0]))
        if exact is not None:  # "나와가" and "가와나" may both be printed: the exact text tells them apart
            return Verdict(exact, "combination")
        parsed = parse_items(cands[0])
        if parsed is not None:
            matches = [i + 1 for i, st in enumerate(idx.sets) if st == parsed[0]]
            if len(matches) == 1:
                return Verdict(matches[0], "combination")
            return Verdict(None, "ambiguous" if matches else "out_of_range")
    if not may_be_key(cands[0], idx):
        return None  # every candidate starts where the whole value does
    seen = None
    for c in cands:
        if c is not seen and c != seen:
            k = idx.exact.get(key(c))
            if k is not None:
                return Verdict(k, "choice_text")
            seen = c
    return None


def loose_exact(core: str, idx: ChoiceIndex) -> Verdict | None:
    """A choice text said without its sentence ending (the value's own ending already stripped)."""
    if not may_be_key(core, idx):
        return None
    core_key = key(core)
    k = idx.exact.get(core_key) or idx.loose.get(core_key)
    return Verdict(k, "choice_text") if k is not None else None


def named_terms(s: str, idx: ChoiceIndex, chosen_only: bool = False) -> set[int]:
    """The short choices that ``s`` names as whole words, a longer one hiding those inside it.

    ``chosen_only`` leaves out a term that is the topic of its clause ("레진 시멘트는 … 안 된다"): in a
    sentence with no answer cue, that describes a choice rather than choosing it.
    """
    if idx.terms is None:
        return set()
    if idx.term_heads.isdisjoint(s.lower()):
        return set()
    found = set()
    for m in idx.terms.finditer(s):
        if chosen_only and m.lastgroup and _TOPIC_TAIL_RE.match(s, m.end(m.lastgroup)):
            continue
        found.add(int(m.lastgroup[1:]) if m.lastgroup else 0)
    found.discard(0)
    # A choice inside a longer named choice ("보험" in "보험계약") is not separate evidence.
    return {k for k in found if not any(j != k and idx.norms[k - 1] in idx.norms[j - 1] for j in found)}


def described(s: str, idx: ChoiceIndex) -> Verdict | None:
    """The one statement-like choice that ``s`` says in other words; ``ambiguous`` when two fit."""
    if not idx.any_pairs:
        return None
    words = _words(s)
    said = _pairs(words)
    if len(said) < DESCRIBE_MIN_PAIRS:
        return None
    stated = numbers(s)
    sense = polarity(s, words)
    # Only a choice with every number the value states, and the same sense, can be what it says:
    # "3년" is not "2년", "할 수 없다" is not "할 수 있다", however close the words.
    overlaps = sorted(((len(said & p), i) for i, p in enumerate(idx.pairs)
                       if p and stated <= idx.numbers[i] and _same_polarity(sense, idx.polarities[i])),
                      reverse=True)
    if not overlaps or overlaps[0][0] < max(DESCRIBE_MIN_PAIRS, DESCRIBE_COVERAGE * len(said)):
        return None
    best = overlaps[0][1]
    mine = said & idx.pairs[best]
    for a, j in overlaps[1:]:
        if a == 0:
            break
        theirs = said & idx.pairs[j]
        only_mine, only_theirs = len(mine - theirs), len(theirs - mine)
        # Told apart only by pairs that one choice has and the other lacks: 없다 against 있다.
        if only_mine < 2 or 3 * only_theirs > only_mine:
            return Verdict(None, "ambiguous") if a >= DESCRIBE_COVERAGE * len(said) else None
    return Verdict(best + 1, "fuzzy")


def fuzzy(s: str, idx: ChoiceIndex) -> Verdict | None:
    """A choice text spelled a little differently ("고지 의무 위반 효과"), numbers unchanged."""
    shortest, longest = idx.key_lengths
    bound = FUZZY_THRESHOLD / (200 - FUZZY_THRESHOLD)  # a ratio of 85 needs lengths within 85:115
    if len(s) < 2 or len(s) < shortest * bound:
        return None  # the key is never longer than the text
    nv = key(s)
    if len(nv) < 2 or len(nv) * bound > longest or len(nv) < shortest * bound:
        return None
    # The best two in one call; below the cutoff a runner-up leaves the margin whatever its score.
    top = process.extract(nv, idx.keyed, scorer=fuzz.ratio, limit=2, score_cutoff=FUZZY_THRESHOLD - FUZZY_MARGIN)
    if top and top[0][1] >= FUZZY_THRESHOLD and (len(top) == 1 or top[0][1] - top[1][1] >= FUZZY_MARGIN):
        best: int = top[0][2]
        if numbers(s) == idx.numbers[best]:  # "13개월" is not 3개월
            return Verdict(best + 1, "fuzzy")
    return None
