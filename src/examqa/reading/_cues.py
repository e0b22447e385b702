"""Reading one value — what follows a marker, a ``\\boxed{}``, an answer sentence's cue, or the answer's
first line — as a label, a choice's text, or nothing. Private to :mod:`examqa.reading.parse`, whose module
docstring states the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from examqa.reading._choicetext import (
    ChoiceIndex,
    Verdict,
    described,
    exact_or_set,
    fuzzy,
    loose_exact,
    may_be_key,
    named_terms,
    starts_like_key,
    strip_endings,
    strip_wrapper,
)
from examqa.reading._stance import LEAD_ENDS, TAIL_STARTS, lead_stance, mention_stance

VALUE_CAP = 600  # characters of a value's line that are read; longer than any real choice text
MENTION_CAP = 20_000  # characters scanned for label mentions: past that, an answer is a repetition loop
NEGATION_DEPTH = 2  # "③이 아니라 ④" nests once in practice; a loop of "아니라" must not recurse on

# ------------------------------------------------------------------------------------------ symbol tables

CIRCLED: dict[str, int] = {}
for _base, _count, _first in ((0x2460, 20, 1), (0x2776, 10, 1), (0x2780, 10, 1), (0x278A, 10, 1),
                              (0x24F5, 10, 1), (0x24EB, 10, 11)):
    for _i in range(_count):
        CIRCLED[chr(_base + _i)] = _first + _i
CIRCLED_BY_NUMBER = {k: c for c, k in reversed(CIRCLED.items())}  # 1 → ①, the plain form
_PAREN_DIGITS = {chr(0x2474 + i): i + 1 for i in range(20)}  # ⑴..⒇
_ORDINALS = {"첫": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "네": 4, "넷": 4, "다섯": 5, "여섯": 6,
             "일곱": 7, "여덟": 8, "아홉": 9, "열": 10}
_ORDINAL_ALT = "|".join(sorted(_ORDINALS, key=len, reverse=True))
C = "".join(CIRCLED)
_PD = "".join(_PAREN_DIGITS)

# ----------------------------------------------------------------------------------------------- regexes

# What may follow a bare number for it to be a label: a delimiter, a particle or an ending — never a
# unit (개, 월, 년, %, 만원 …), and never the rest of a decimal (2.5) or a thousands group (1,000).
_BOUND = (r"(?!\.\d|,\d{3}(?!\d))"
          r"(?=$|[\s.,;:!?)\]}…~/·、'\"]|[은는이을를과와도만로으입임또혹및]|or\b|and\b)")
_LETTER_BOUND = r"(?![A-Za-z0-9])"


def _label_alternatives(letters: bool) -> str:
    """Label forms, matched at a given position (the start of a value or after a coordinator)."""
    alts = [
        rf"[(\[【][ \t]*(?P<pc>[{C}])[ \t]*[)\]】](?:[ \t]*번)?",
        rf"(?P<c>[{C}])(?:[ \t]*번(?!째))?",
        rf"(?P<pd>[{_PD}])(?:[ \t]*번)?",
        r"[(\[【][ \t]*(?P<pn>\d{1,2})[ \t]*(?:번[ \t]*)?[)\]】](?:[ \t]*번)?",
        rf"(?P<o>{_ORDINAL_ALT})[ \t]*(?:번[ \t]*)?째",
        r"(?P<no>\d{1,2})[ \t]*번[ \t]*째",
        r"제[ \t]*(?P<nj>\d{1,2})[ \t]*번(?![ \t]*째)",  # 제3번, 제 2 번
        rf"(?P<n>\d{{1,2}})(?!\d)(?:(?P<nb>[ \t]*번(?!째))|(?P<np>[ \t]*\))|(?P<nd>\.(?!\d)))?{_BOUND}",
    ]
    if letters:
        alts += [
            r"[(\[][ \t]*(?P<pl>[A-Za-z])[ \t]*[)\]](?:[ \t]*번)?",
            rf"(?<![A-Za-z])(?P<l>[A-Za-z])(?:[ \t]*번)?(?:[ \t]*[).](?![A-Za-z0-9]))?{_LETTER_BOUND}",
        ]
    return "|".join(alts)


_LABEL_RE = {letters: re.compile(_label_alternatives(letters)) for letters in (False, True)}
# The common value — a circled or plain number, perhaps 번 and 입니다 — read in one step. Only where no
# choice text looks like a label (``ChoiceIndex.label_like``): the full reading gives the same verdict.
_QUICK_LABEL = (rf"(?P<c>[{C}])(?:[ \t]*번)?|(?P<n>\d{{1,2}})(?:(?P<nb>[ \t]*번)|(?P<np>\))|(?P<nd>\.))?"
                r"|\((?P<pn>\d{1,2})\)")
_QUICK_LETTER = r"|(?P<l>[A-Z])(?![A-Za-z0-9])(?:[ \t]*번)?(?:[).](?![A-Za-z0-9]))?|\((?P<pl>[A-Z])\)"
_QUICK_RE = {letters: re.compile(rf"(?P<label>{_QUICK_LABEL}{_QUICK_LETTER if letters else ''})"
                                 r"[ \t]*(?:입니다|이다|임)?[ \t]*(?P<end>[.!?。]*)")
             for letters in (False, True)}
_LABEL_PREFIX_RE = re.compile(r"(?:option|choice|보기|선택지|선지)[ \t]*(?:no\.?[ \t]*)?", re.I)
_COORD_RE = re.compile(r"[ \t]*(?:,|、|/|·|\+|&|~|또는|혹은|이나|그리고|및|과|와|나|or|and)[ \t]*", re.I)
_NEGATION_RE = re.compile(r"[ \t]*(?:번[ \t]*)?(?:[이가은는][ \t]*)?아니")
_AFTER_NEGATION_RE = re.compile(r"아니(?:라|고|며)[ \t,]*")
# "인삼이 아니라 황기", "아목시실린 대신 아지스로마이신": the answer follows.
_TEXT_NEGATION_RE = re.compile(r"[ \t]*(?:이|가|은|는)?[ \t]*아니(?:라|고)[ \t,]*|[ \t]+대신(?:에)?[ \t]+")
# Discourse words before the answer itself ("아마도 ③번", "따라서 ③번", "that the seller …").
_HEDGE_RE = re.compile(r"(?:(?:아마(?:도)?|아무래도|어쩌면|결국|바로|역시|최종적으로|결론적으로|분명히|확실히|즉|따라서"
                       r"|그러므로|그래서|probably|likely|clearly|that)[ \t,]+)+", re.I)
_PURE_REST_RE = re.compile(  # applied to a rest stripped of _PURE_STRIP at both ends (no backtracking)
    r"(?:번)?\s*(?:(?:보기|선택지|선지|지문|항목|설명)\s*)?(?:(?:이|가)\s*(?:최종\s*)?(?:정답|답)\s*)?"
    r"(?:입니다|이다|임|이에요|예요|이요|요|이며|이고|이죠|다|이겠습니다)?"
)
_PURE_STRIP = " \t\n.!。…~)]"
_REST_HEAD_RE = re.compile(r"[.!?。](?=\s|$)|[,(\[\n]")

# Label mentions anywhere in a text. What the original lookbehinds excluded ("1.5번", "제3조 12번") is
# checked on the match instead: a pattern that starts with a lookbehind is scanned slowly.
_MENTION_ALTS = [
    rf"(?P<c>[{C}])",
    rf"(?P<pd>[{_PD}])",
    r"\([ \t]*(?:(?:[Oo]ption|[Cc]hoice|보기|선지|선택지)[ \t]*)?(?P<pn>\d{1,2})[ \t]*(?:번[ \t]*)?\)",
    r"제[ \t]*(?P<nj>\d{1,2})[ \t]*번(?![째호지길\d])",
    r"(?P<nb>\d{1,2})[ \t]*번(?![째호지길\d])",
]
_MENTION_RE = {False: re.compile("|".join(_MENTION_ALTS)),
               True: re.compile("|".join([*_MENTION_ALTS,
                                         r"\([ \t]*(?:(?:[Oo]ption|[Cc]hoice)[ \t]*)?(?P<pl>[A-Z])[ \t]*\)"]))}
_ORDINAL_MENTION_RE = re.compile(rf"(?:(?P<o>{_ORDINAL_ALT})|(?P<no>\d{{1,2}}))[ \t]*(?:번[ \t]*)?째"
                                 r"(?=[ \t]*(?:선택지|보기|선지|항목|답))")
_LINE_MENTION_RE = {False: re.compile(r"[ \t]*(?:(?P<np>\d{1,2})[ \t]*\)|(?P<nd>\d{1,2})(?:\.(?!\d)|[ \t]*$))"),
                    True: re.compile(r"[ \t]*(?:(?P<np>\d{1,2})[ \t]*\)|(?P<nd>\d{1,2})(?:\.(?!\d)|[ \t]*$)"
                                     r"|(?P<l>[A-Z])(?:[).](?!\w)|[ \t]*$))")}

# The characters a label or a "none" statement can start with: a cheap test before their regexes.
_LABEL_STARTS = {letters: frozenset("([【" + C + _PD + "0123456789제oOcC보선첫두둘세셋네넷다여일아열"
                                    + ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if letters else ""))
                 for letters in (False, True)}
# A label that starts with a syllable: an ordinal ("세 번째"), 제N번, or a 보기/선택지 prefix.
_HANGUL_LABEL_RE = re.compile(rf"(?:{_ORDINAL_ALT})[ \t]*(?:번[ \t]*)?째|제[ \t]*\d|보기|선택지|선지")
_NONE_STARTS = frozenset("최정답없모알판해nNuUiIcC")
_HEDGE_STARTS = frozenset("아어결바역최분확즉따그pPlLcCtT")
_SYMBOL_RE = re.compile(rf"[{C}{_PD}]")
_LINE_DIGIT_RE = {False: re.compile(r"\n[ \t]*[0-9]"), True: re.compile(r"\n[ \t]*[0-9A-Z]")}
_MENTION_CHAR_RE = {False: re.compile(rf"[0-9{C}{_PD}]"), True: re.compile(rf"[0-9A-Z{C}{_PD}]")}

NONE_RE = re.compile(
    r"^(?:(?:최종[ \t]*)?(?:정답|답)[ \t]*(?:[이은는:][ \t]*)?)?"
    r"(?:없(?:음|다|습니다|어요|는)|모름|모르(?:겠|ㅂ)|모릅니다|알[ \t]*수[ \t]*없"
    r"|판단[ \t]*(?:불가|할[ \t]*수[ \t]*없)"
    r"|해당[ \t]*(?:사항[ \t]*)?없|none\b|no[ \t]+(?:correct[ \t]+)?answer|unknown|n/?a\b"
    r"|i[ \t]+don'?t[ \t]+know|cannot[ \t]+(?:be[ \t]+)?determine)",
    re.I,
)
_SENTENCE_CUT_RE = re.compile(r"[.!?。](?=\s|$)|\s[(\[]|\s[-–—]\s|[:;]\s|,\s*(?:왜냐하면|이유는|because)")
SENTENCE_END_RE = re.compile(r"[.!?。](?=\s|$)|\n")
_ALTERNATIVE_RE = re.compile(r"[ \t]+(?:또는|혹은|or)[ \t]+", re.I)
_CLAUSE_CUT_RE = re.compile(r",\s|(?<=[가-힣])(?:이며|으며|이고|므로|지만|으나|는데|니까)\s")
_NON_SPACE_RE = re.compile(r"\S")
WRAP_CHARS = " \t\r\f\v\"'“”‘’「」『』<>"


# ------------------------------------------------------------------------------------------ labels

@dataclass(frozen=True, slots=True)
class _Labels:
    ks: tuple[int, ...]
    form: str
    rest: str
    first_rests: tuple[str, ...]  # what follows the first label (with, without its 번/)/. suffix)


def label_at(s: str, pos: int, ctx: ChoiceIndex) -> tuple[int, str, int, int] | None:
    """The label at ``pos``: (number, form, end, end of the bare symbol before any 번/)/. suffix)."""
    m = _LABEL_RE[ctx.letters].match(s, pos)
    if m is None:
        return None
    g = m.group
    end = m.end()
    if g("pc"):
        return CIRCLED[g("pc")], "circled", end, end
    if g("c"):
        return CIRCLED[g("c")], "circled", end, m.end("c")
    if g("pd"):
        return _PAREN_DIGITS[g("pd")], "paren", end, m.end("pd")
    if g("pn"):
        return int(g("pn")), "paren", end, end
    if g("o"):
        return _ORDINALS[g("o")], "ordinal", end, end
    if g("no"):
        return int(g("no")), "ordinal", end, end
    if g("nj"):
        return int(g("nj")), "number_suffix", end, end
    if g("n"):
        form = "number_suffix" if g("nb") else "paren" if g("np") else "bare"
        return int(g("n")), form, end, m.end("n")
    if g("pl"):
        return ord(g("pl").upper()) - ord("A") + 1, "letter", end, end
    return ord(g("l").upper()) - ord("A") + 1, "letter", end, m.end("l")


def _ending_only(s: str) -> bool:
    """Nothing but 번, a sentence ending and punctuation ("번입니다.", "이 정답이다")."""
    return _PURE_REST_RE.fullmatch(s.strip(_PURE_STRIP)) is not None


def is_pure(rest: str) -> bool:
    """The label ends its clause: what follows up to the next sentence end, comma or bracket is an ending."""
    cut = _REST_HEAD_RE.search(rest)
    return _ending_only(rest[: cut.start()] if cut else rest)


def _parse_labels(line: str, ctx: ChoiceIndex) -> _Labels | None:
    prefix = _LABEL_PREFIX_RE.match(line)  # "option 3", "보기 ③"
    first = label_at(line, prefix.end() if prefix else 0, ctx)
    if first is None:
        return None
    ks, form, pos = [first[0]], first[1], first[2]
    while True:
        coord = _COORD_RE.match(line, pos)
        nxt = label_at(line, coord.end(), ctx) if coord else None
        if nxt is None or coord is None:
            break
        ks.append(nxt[0])
        pos = nxt[2]
    rest = line[pos:]
    # A lowercase letter is a label only when nothing follows ("answer: a"), not "answer is a bit …".
    if form == "letter" and line[: first[2]].strip(" ()[].번").islower() and not is_pure(rest):
        return None
    return _Labels(tuple(dict.fromkeys(ks)), form, rest, (line[first[2]:], line[first[3]:]))


def _text_candidates(s: str) -> list[str]:
    s = s.strip(WRAP_CHARS)
    cut = _SENTENCE_CUT_RE.search(s)
    stripped = strip_endings(s)
    if not cut:
        return [s, stripped]
    head = s[: cut.start()]
    return [s, stripped, head, strip_endings(head)]


def text_match(s: str, ctx: ChoiceIndex) -> Verdict | None:
    """The value, or its first sentence, with or without its ending, as an exact choice text or set."""
    if ctx.sets is None and not starts_like_key(s.strip(WRAP_CHARS), ctx):
        return None  # every candidate is a beginning of the value, and no choice text begins it
    return exact_or_set(_text_candidates(s), ctx)


def _own_text(rests: tuple[str, ...], k: int, ctx: ChoiceIndex) -> str | None:
    """What follows the label when it is its own choice's text ("② 아니가", "② 번이아니원"), else None."""
    for i, rest in enumerate(rests):
        if (i == 0 or rest != rests[0]) and not _ending_only(rest):
            own = text_match(rest.strip(" \t()[]:-–—.,/"), ctx)
            if own is not None and own.choice == k:
                return rest
    return None


def _decide_label(labels: _Labels, text: Verdict | None, ctx: ChoiceIndex, via: str,
                  depth: int) -> Verdict | None:
    t = text.choice if text is not None else None
    k = labels.ks[0]
    # A label followed by its own choice's text is that choice, whatever words the text starts with:
    # a negation ("아니…"), a coordinator ("과…") or an ordinal ("세째…") inside a text reads nothing.
    own_rest = _own_text(labels.first_rests, k, ctx) if 1 <= k <= ctx.n else None
    own = own_rest is not None
    if len(labels.ks) > 1 and not own:
        return text if t is not None else Verdict(None, "ambiguous")
    rest = own_rest if own_rest is not None else labels.rest
    in_range = 1 <= k <= ctx.n
    pure = is_pure(rest)
    if text is not None and t is not None:
        if not pure or not in_range or labels.form == "ordinal":
            # The text reading explains the whole value; the label would leave a residue. An ordinal
            # word that is a choice's whole text ("다섯째") names that choice, not the fifth.
            return text
        if t != k:
            return Verdict(None, "ambiguous")  # "2" with choices "1", "2", …: both readings are complete
    if not own and _NEGATION_RE.match(rest):
        after = _AFTER_NEGATION_RE.search(rest)
        if after is None:
            return None  # "③이 아니다": ③ is ruled out, and nothing is chosen here
        again = interpret(rest[after.end():], ctx, via, depth + 1) if depth < NEGATION_DEPTH else None
        return again if again is not None and again.choice is not None else Verdict(None, "ambiguous")
    # Whatever follows the label beyond a sentence ending ("③ 2개", "③ (2개)") may be a choice's text.
    rest_text = None if own or _ending_only(rest) else text_match(rest.strip(" \t()[]:-–—.,/"), ctx)
    rest_k = k if own else rest_text.choice if rest_text is not None else None
    if rest_k is not None and rest_k != k and in_range:
        return Verdict(None, "ambiguous")  # "③ 2개" where 2개 is choice ②
    if not in_range:
        return Verdict(None, "out_of_range")
    if via in ("unmarked", "cue") and not pure and rest_k != k:
        return None  # "1) 먼저 …" on the first line is a list, not an answer; the mention scan decides
    return Verdict(k, "boxed" if via == "boxed" else "marker" if via == "marker" else labels.form)


def _quick(line: str, ctx: ChoiceIndex, via: str) -> Verdict | None:
    """The label reading of a value that is a label, perhaps 번 and an ending, then nothing or a new
    sentence ("③", "3번입니다.", "③번입니다. 보험금청구권의 …") — when no text reading can compete."""
    m = _QUICK_RE[ctx.letters].match(line)
    if m is None:
        return None
    g = m.group
    if m.end() < len(line):
        # More follows: only after a sentence end, and only when neither the whole line nor what follows
        # the label could be a choice's text (the full reading would weigh those).
        if not g("end") or not line[m.end()].isspace() or may_be_key(line, ctx):
            return None
        symbol = "c" if g("c") else "n" if g("n") else "l" if ctx.letters and g("l") else "label"
        if may_be_key(line[m.end(symbol):], ctx) or may_be_key(line[m.end("label"):], ctx):
            return None
    if g("c"):
        k, form = CIRCLED[g("c")], "circled"
    elif ctx.letters and (g("l") or g("pl")):
        k, form = ord(g("l") or g("pl")) - ord("A") + 1, "letter"
    else:
        k = int(g("n") or g("pn"))
        form = "number_suffix" if g("nb") else "paren" if (g("np") or g("pn")) else "bare"
    if not 1 <= k <= ctx.n:
        return Verdict(None, "out_of_range")
    return Verdict(k, "boxed" if via == "boxed" else "marker" if via == "marker" else form)


# ------------------------------------------------------------------------------------------ mentions

def _mention_form(m: re.Match[str], text: str) -> tuple[int, str] | None:
    g = m.group
    name = m.lastgroup
    if name == "c":
        return CIRCLED[g("c")], "circled"
    if name == "pd":
        return _PAREN_DIGITS[g("pd")], "paren"
    if name == "pn":
        return int(g("pn")), "paren"
    if name == "nj":
        return int(g("nj")), "number_suffix"
    if name == "nb":
        start = m.start()
        if start and text[start - 1] in "0123456789.,제":
            return None  # part of a longer number, or 제N번 seen from inside
        return int(g("nb")), "number_suffix"
    if name == "pl":
        return ord(g("pl")) - ord("A") + 1, "letter"
    return None


def mention_verdict(text: str, ctx: ChoiceIndex, pure_only: bool = False) -> Verdict:
    """The labels mentioned in ``text``: one distinct label is the answer, several are ``ambiguous``.

    ``pure_only`` counts only a label that ends its clause ("…③번 설명이다"): in an answer sentence,
    "①의 예외" names ① without choosing it. A label ruled out where it is mentioned ("③이 아니라",
    "③은 틀렸다" on a positive question) does not count; one only doubted ("④일 가능성도 있다") counts
    against another label but is no answer on its own.
    """
    text = text[:MENTION_CAP]
    if _MENTION_CHAR_RE[ctx.letters].search(text) is None:
        return Verdict(None, "no_answer")  # no digit, circled number or capital: nothing to scan for
    seen: dict[int, tuple[int, str]] = {}  # label → (position, form) of its first mention
    firm: set[int] = set()  # labels mentioned at least once neither ruled out nor doubted
    size, polar = len(text), ctx.negative is not None

    def note(k: int, form: str, pos: int, end: int) -> bool:
        # The stance checks only where what follows (precedes) the label could make one: a loop of "①"
        # must not pay a call per mention.
        stance = mention_stance(text, end, ctx) if end < size and text[end] in TAIL_STARTS else None
        if stance is None and polar and pos > 1 and text[pos - 1] in LEAD_ENDS:
            stance = lead_stance(text, pos, ctx)
        if stance == "rejected":
            return False  # "③이 아니라", "③은 확실히 아니다": ruled out, no evidence for ③
        if pure_only and stance is None and not is_pure(text[end:]):
            return False
        if stance is None:
            firm.add(k)
        if k not in seen or pos < seen[k][0]:
            seen[k] = (pos, form)
        return len(seen) > 1  # two distinct labels (a doubted one too): ambiguous whatever else is mentioned

    # Every inline form has a circled number, a bracket or 번: without them the scan finds nothing.
    if "번" in text or "(" in text or _SYMBOL_RE.search(text):
        for m in _MENTION_RE[ctx.letters].finditer(text):
            found = _mention_form(m, text)
            if found is not None and note(found[0], found[1], m.start(), m.end()):
                return Verdict(None, "ambiguous")
    if "째" in text:
        for m in _ORDINAL_MENTION_RE.finditer(text):
            if m.group("no") and m.start() and text[m.start() - 1] in "0123456789.,":
                continue
            k = _ORDINALS[m.group("o")] if m.group("o") else int(m.group("no"))
            if note(k, "ordinal", m.start(), m.end()):
                return Verdict(None, "ambiguous")
    line_re = _LINE_MENTION_RE[ctx.letters]
    starts = [0] + [m.start() + 1 for m in _LINE_DIGIT_RE[ctx.letters].finditer(text)] if "\n" in text else [0]
    for line_start in starts:  # only lines that start with a digit (or a capital) can hold "3." or "3)"
        line_end = text.find("\n", line_start)
        line_end = len(text) if line_end < 0 else line_end
        at_line = line_re.match(text, line_start, line_end)
        if at_line is not None:
            g = at_line.group
            k, form = ((int(g("np")), "paren") if g("np") else (int(g("nd")), "bare") if g("nd")
                       else (ord(g("l")) - ord("A") + 1, "letter"))
            if note(k, form, at_line.start(), at_line.end()):
                return Verdict(None, "ambiguous")
    if not seen:
        return Verdict(None, "no_answer")
    (k, (_, form)), = seen.items()
    if k not in firm:
        return Verdict(None, "no_answer")  # "③일 수도 있다": a doubt is not an answer
    return Verdict(k, form) if 1 <= k <= ctx.n else Verdict(None, "out_of_range")


# ------------------------------------------------------------------------------------------ values

def _reads_as_choice(s: str, ctx: ChoiceIndex) -> bool:
    """Whether a negated part ("인삼이 아니라 …", "②번 설명이 아니라 …") names a choice at all."""
    s = s.strip(WRAP_CHARS + ".,")
    return bool(s) and (_parse_labels(s, ctx) is not None or text_match(s, ctx) is not None
                        or bool(named_terms(s, ctx)) or mention_verdict(s, ctx).method != "no_answer")


def _described_parts(core: str, ctx: ChoiceIndex) -> Verdict | None:
    """A described statement; two statements joined by 또는/or that describe two choices are ambiguous."""
    parts = _ALTERNATIVE_RE.split(core) if ctx.any_pairs else [core]
    if len(parts) > 1:
        each = {v.choice for v in (described(strip_wrapper(p.strip()), ctx) for p in parts) if v is not None}
        if len(each - {None}) > 1:
            return Verdict(None, "ambiguous")
    return described(core, ctx)


def _sentence_text(sentence: str, ctx: ChoiceIndex) -> Verdict | None:
    """A choice said in a sentence: its whole text, a term it names, or a statement it describes."""
    clause_cut = _CLAUSE_CUT_RE.search(sentence)
    spans = [sentence[: clause_cut.start()], sentence] if clause_cut else [sentence]
    failed = None
    for span in spans:  # the first clause ("경구 아목시실린이며, …"), then the whole sentence
        core = strip_wrapper(strip_endings(span.strip(WRAP_CHARS)))
        if not core:
            continue
        found = loose_exact(core, ctx)
        if found is None:
            named = named_terms(span, ctx)
            found = (Verdict(None, "ambiguous") if len(named) > 1 else Verdict(named.pop(), "fuzzy") if named
                     else _described_parts(core, ctx))
        if found is not None and found.choice is not None:
            return found
        failed = failed or found
    return failed


def first_line(value: str) -> str:
    """The value's first non-empty line, capped at ``VALUE_CAP`` characters, without wrapping quotes."""
    if value[:1].isspace():
        found = _NON_SPACE_RE.search(value)
        if found is None:
            return ""
        start = found.start()
    else:
        start = 0
    end = value.find("\n", start, start + VALUE_CAP)
    return value[start: end if end >= 0 else start + VALUE_CAP].strip(WRAP_CHARS)


def interpret(value: str, ctx: ChoiceIndex, via: str, depth: int = 0) -> Verdict | None:
    """Read one value; None when it says nothing readable (the caller then tries earlier evidence).

    ``via`` is where the value comes from: ``marker``, ``boxed``, ``unmarked`` (the answer's first line)
    or ``cue`` (an answer sentence without a marker).
    """
    line = first_line(value)
    if via != "unmarked" and line and line[0] in _HEDGE_STARTS:
        hedge = _HEDGE_RE.match(line)
        if hedge:
            line = line[hedge.end():]
    if not line:
        return None
    first = line[0]
    may_be_label = first in _LABEL_STARTS[ctx.letters] and (
        not "가" <= first <= "힣" or _HANGUL_LABEL_RE.match(line) is not None)
    if may_be_label and not ctx.label_like:
        quick = _quick(line, ctx, via)
        if quick is not None:
            return quick
    labels = _parse_labels(line, ctx) if may_be_label else None
    text = text_match(line, ctx)
    if labels is not None:
        verdict = _decide_label(labels, text, ctx, via, depth)
        if verdict is not None or via != "cue":
            return verdict
    if text is not None:
        return text
    if line[0] in _NONE_STARTS and NONE_RE.match(line):
        return Verdict(None, "none_stated")
    if via == "unmarked":
        return fuzzy(strip_endings(line), ctx)
    negation = _TEXT_NEGATION_RE.search(line) if "아니" in line or "대신" in line else None
    if negation and depth < NEGATION_DEPTH and _reads_as_choice(line[: negation.start()], ctx):
        again = interpret(line[negation.end():], ctx, via, depth + 1)
        if again is not None and again.choice is not None:
            return again
    end = _SENTENCE_CUT_RE.search(line)
    sentence = line[: end.start()] if end else line
    said = _sentence_text(sentence, ctx)
    if said is None and via != "cue":
        said = fuzzy(strip_endings(sentence), ctx)
    first_end = SENTENCE_END_RE.search(line)
    labelled = mention_verdict(line[: first_end.start()] if first_end else line, ctx, pure_only=via == "cue")
    if labelled.method == "no_answer":
        return said
    if said is None or said.choice is None or labelled.choice is None:
        return labelled if said is None or labelled.choice is not None else said
    return labelled if labelled.choice == said.choice else Verdict(None, "ambiguous")
