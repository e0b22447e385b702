"""The cohort as one self-contained HTML page in the reports' one design (:mod:`._parts`): inline CSS and SVG,
no script, printable, every user string escaped; percents written by the one display rule (:mod:`._words`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from examqa.exams.scoring import format_points as num
from examqa.reports._cohort import FLAG_WORDS, headline, placed_percent
from examqa.reports._parts import (
    AMBER,
    BLUE,
    GREEN,
    INK,
    MUTED,
    ORANGE,
    RED,
    SVG_NS,
    esc,
    header,
    page,
    ring,
    stack,
)
from examqa.reports._words import basis_word, decision_word_ko, line, percent

if TYPE_CHECKING:  # result types of the stages above: annotations only
    from examqa.cohort import Cohort, CohortSummary, ItemFlag, ItemStats, SubjectDistribution


def _outcomes(s: CohortSummary) -> str:
    total = basis_word(s.basis)
    return stack([("합격", s.passed, GREEN), ("과락만", s.failed_floor_only, ORANGE),
                  (f"{total} 미달만", s.failed_total_only, AMBER), ("과락 + " + total, s.failed_both, RED)], s.students)


def _near_misses(s: CohortSummary, upto: int = 12) -> str:
    if not s.to_pass:
        return '<p class="muted">불합격자가 없습니다.</p>'
    counts = [s.to_pass.get(k, 0) for k in range(1, upto + 1)] + [sum(v for k, v in s.to_pass.items() if k > upto)]
    labels = [str(k) for k in range(1, upto + 1)] + [f"{upto + 1}+"]
    top = max(counts) or 1
    w, h, gap = 30, 110, 6
    bars = []
    for i, (label, v) in enumerate(zip(labels, counts, strict=True)):
        x = i * (w + gap)
        bh = 0 if not v else max(2.0, h * v / top)
        shade = GREEN if i < 3 else BLUE
        bars.append(f'<rect x="{x}" y="{h - bh + 16:.1f}" width="{w}" height="{bh:.1f}" rx="4" fill="{shade}" '
                    f'opacity="{1 if i < 3 else 0.55}"><title>{label}개: {v:,}명</title></rect>'
                    f'<text x="{x + w / 2}" y="{h - bh + 11:.1f}" text-anchor="middle" font-size="11" '
                    f'fill="{INK}">{v if v else ""}</text>'
                    f'<text x="{x + w / 2}" y="{h + 32}" text-anchor="middle" font-size="11" '
                    f'fill="{MUTED}">{label}</text>')
    width = len(counts) * (w + gap)
    return (f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {h + 40}" width="100%" height="{h + 40}" role="img" '
            f'aria-label="further correct answers needed">{"".join(bars)}</svg>'
            '<p class="muted small">합격까지 더 필요한 정답 수 (문항) — 왼쪽 세 막대가 '
            '“한두 문제 차이” 학생입니다.</p>')


def _histogram(d: SubjectDistribution, floor_percent: float) -> str:
    w, h, pad = 300, 120, 22
    top = max(d.histogram) or 1
    band = w / len(d.histogram)
    bars = []
    for i, v in enumerate(d.histogram):
        bh = h * v / top
        low = (i + 1) * 100 / len(d.histogram) <= floor_percent
        bars.append(f'<rect x="{i * band + 1:.1f}" y="{h - bh + 6:.1f}" width="{band - 2:.1f}" height="{bh:.1f}" '
                    f'rx="2" fill="{RED if low else BLUE}" opacity="{0.75 if low else 0.85}">'
                    f'<title>{i * 5}–{i * 5 + 5}%: {v:,}명</title></rect>')
    fx = w * floor_percent / 100
    mx = w * d.mean_percent / 100
    axis = "".join(f'<text x="{w * t / 100:.0f}" y="{h + pad}" text-anchor="middle" font-size="10" '
                   f'fill="{MUTED}">{t}</text>' for t in (0, 20, 40, 60, 80, 100))
    return (f'<svg xmlns="{SVG_NS}" viewBox="-8 0 {w + 16} {h + pad + 4}" width="100%" role="img" '
            f'aria-label="{esc(d.name)} distribution">'
            f'<line x1="0" y1="{h + 6}" x2="{w}" y2="{h + 6}" stroke="#c9cfdd"/>{"".join(bars)}'
            f'<line x1="{fx:.1f}" y1="0" x2="{fx:.1f}" y2="{h + 8}" stroke="{RED}" stroke-width="2" '
            f'stroke-dasharray="5 3"/>'
            f'<text x="{fx - 4:.1f}" y="11" font-size="10" text-anchor="end" fill="{RED}">'
            f"{line(floor_percent)}% 과락선</text>"
            f'<line x1="{mx:.1f}" y1="14" x2="{mx:.1f}" y2="{h + 8}" stroke="{INK}" stroke-width="1.5"/>'
            f'<text x="{mx + 4:.1f}" y="24" font-size="10" fill="{INK}" stroke="#fff" stroke-width="3" '
            f'paint-order="stroke">평균 {percent(d.mean_percent, floor_percent)}%</text>{axis}</svg>')


def _subject_card(d: SubjectDistribution, floor_percent: float, students: int) -> str:
    group = f'<span class="chip">합산 {esc(d.group)}</span>' if d.group else ""
    kr = "—" if d.kr20 is None else f"{d.kr20:.2f}"
    share = d.below_floor / students if students else 0
    return (f'<section class="card subject"><h3>{esc(d.name)} <small>{esc(d.name_en)} · {d.items}문항 · '
            f'{esc(num(d.max_points))}점</small>{group}</h3>'
            f'{_histogram(d, floor_percent)}<dl>'
            f'<div><dt>평균</dt><dd>{percent(d.mean_percent, floor_percent)}%</dd></div>'
            f'<div><dt>중앙값</dt><dd>{percent(d.median_percent, floor_percent)}%</dd></div>'
            f'<div><dt>{line(floor_percent)}% 미만</dt><dd class="{"bad" if share > 0.2 else ""}">{d.below_floor:,}명 '
            f'<small>{share:.0%}</small></dd></div><div><dt>KR-20</dt><dd>{kr}</dd></div></dl></section>')


def _shares(values: tuple[float, ...], key: tuple[int, ...], blank: float, multiple: float, *,
            thin: bool = False, suspect: int | None = None) -> str:
    segs = []
    for c, v in enumerate(values, start=1):
        if v <= 0:
            continue
        colour = GREEN if c in key else RED if c == suspect else "#aab3c5" if c % 2 else "#c9d0de"
        label = f"{c}" if v >= 0.09 and not thin else ""
        segs.append(f'<span style="width:{v * 100:.2f}%;background:{colour}" title="{c}번 {v:.1%}">{label}</span>')
    rest = blank + multiple
    if rest > 0:
        segs.append(f'<span style="width:{rest * 100:.2f}%;background:#eef0f5" '
                    f'title="무응답 {blank:.1%} · 복수 {multiple:.1%}"></span>')
    return f'<div class="shares{" thin" if thin else ""}">{"".join(segs)}</div>'


def _disc(r: float | None) -> str:
    if r is None:
        return '<span class="disc">—</span>'
    cls = "neg" if r < 0 else "low" if r < 0.1 else "mid" if r < 0.2 else "good"
    return f'<span class="disc {cls}">{r:+.2f}</span>'


def _item_row(i: ItemStats, flagged: set[str]) -> str:
    mark = ' class="flagged"' if i.id in flagged else ""
    return (f'<tr{mark}><td class="id">{esc(i.id)}</td><td>{esc(i.subject)}</td><td class="key">'
            f'{",".join(map(str, i.key))}</td><td><div class="meter"><span style="width:{i.difficulty * 100:.1f}%">'
            f'</span></div><small>{i.difficulty:.0%}</small></td><td class="num">{_disc(i.discrimination)}</td>'
            f'<td>{_shares(i.option_shares, i.key, i.blank, i.multiple)}'
            f'{_shares(i.top_option_shares, i.key, 0.0, 0.0, thin=True)}</td></tr>')


def _flags(cohort: Cohort) -> str:
    s = cohort.summary
    if not s.flags:
        return '<p class="ok">문항 경고 없음 — 모든 문항이 기대대로 작동합니다.</p>'
    items = {i.id: i for i in cohort.items}
    by_item: dict[str, list[ItemFlag]] = {}
    for f in s.flags:  # one card per item, its flags in order of weight
        by_item.setdefault(f.id, []).append(f)
    cards = []
    for item_id, found in by_item.items():
        i = items[item_id]
        badges = " ".join(f'<span class="badge {esc(f.kind)}">{esc(FLAG_WORDS[f.kind])}</span>' for f in found)
        lines = "".join(f'<p title="{esc(f.message)}">{esc(_korean(f))}</p>' for f in found)
        suspect = next((int(f.numbers["choice"]) for f in found if f.kind == "key_suspect"), None)
        numbers = " · ".join(dict.fromkeys(_figure(k, v) for f in found for k, v in f.numbers.items()))
        cards.append(f'<div class="flag {esc(found[0].kind)}"><div class="flag-head">{badges} <b>{esc(item_id)}</b> '
                     f'<small>{esc(i.subject)} · 정답 {",".join(map(str, i.key))}</small></div>{lines}'
                     f'{_shares(i.option_shares, i.key, i.blank, i.multiple, suspect=suspect)}'
                     f'{_shares(i.top_option_shares, i.key, 0.0, 0.0, thin=True, suspect=suspect)}'
                     '<div class="caption">위: 전체 · 아래: 상위 25% · 초록: 정답 · 빨강: 의심 선택지</div>'
                     f'<p class="numbers">{numbers}</p></div>')
    return f'<div class="flags">{"".join(cards)}</div>'


def _korean(f: ItemFlag) -> str:
    """The flag in Korean, from its numbers (the English message stays in the tooltip and the JSON)."""
    n = f.numbers
    if f.kind == "key_suspect":
        return (f"상위 25% 중 {n['top_share']:.0%}가 {int(n['choice'])}번을 골랐고 정답 선택은 "
                f"{n['top_key_share']:.0%} — 정답 오류이거나 복수정답일 수 있습니다.")
    if f.kind == "negative_discrimination":
        return f"변별도 {n['discrimination']:+.2f} (정답률 {n['difficulty']:.0%}) — 하위권이 오히려 더 잘 맞혔습니다."
    return f"변별도 {n['discrimination']:+.2f} (정답률 {n['difficulty']:.0%}) — 상·하위권을 거의 가르지 못합니다."


def _figure(name: str, value: float) -> str:
    shown = f"{value:g}" if float(value).is_integer() else f"{value:.2f}"
    return f"{esc(name)} {shown}"


def _placement(s: CohortSummary) -> str:
    p = s.placement
    if p is None:
        return ""
    rows = "".join(f'<div class="pl-row"><span>{esc(x.name)}</span><div class="meter wide"><span style="width:'
                   f'{x.percentile:.1f}%"></span></div><b>{x.percentile:.0f}</b></div>' for x in p.subjects)
    return (f'<section class="card"><h2>모델 위치 <small>{esc(p.model or p.run)}</small></h2>'
            f'<p class="big">{"합격" if p.passed else "불합격"} · {placed_percent(p, s)}% · '
            f'백분위 <b>{p.percentile:.1f}</b>'
            f' · {p.rank:,}위 / {s.students:,}명</p>{rows}</section>')


def _students(cohort: Cohort) -> str:
    s = cohort.summary
    subjects = [d.name for d in s.subjects]
    head = "".join(f"<th>{esc(n)}</th>" for n in subjects)
    t = cohort.table()
    rows = []
    for r, name in enumerate(t.student):
        undecided = t.decision[r] in ("cut_unpublished", "part_only")
        verdict = ('<span class="pass">합격</span>' if t.passed[r] else
                   f'<span>{decision_word_ko(t.decision[r])}</span>' if undecided else
                   '<span class="fail">불합격</span>')
        need = ""
        if not t.passed[r] and t.to_pass[r] > 0:
            ways = ", ".join(f"{n} {t.to_pass_by[n][r]}" for n in subjects if t.to_pass_by[n][r])
            need = esc(f"{t.to_pass[r]}개: {ways}")
        cells = "".join(f'<td class="num">{t.points[n][r]}</td>' for n in subjects)  # digits only: our own text
        shown = percent(t.percent[r], s.total_percent, reaches=t.failed_by[r] not in ("total", "both"))
        rows.append(f'<tr><td>{esc(name)}</td><td>{verdict}</td><td class="num">{shown}</td>{cells}'
                    f'<td>{need}</td></tr>')
    return (f'<details><summary>학생별 결과 ({len(rows):,}명)</summary><table class="students"><tr><th>학생</th>'
            f'<th>판정</th><th>%</th>{head}<th>합격까지</th></tr>{"".join(rows)}</table></details>')


def cohort_html(cohort: Cohort) -> str:
    """The cohort report as a self-contained page: outcomes, near misses, subjects, flags, items, students."""
    from examqa.reports._parts import kpis as key_figures

    s = cohort.summary
    floor = float(s.floor_percent)
    flagged = {f.id for f in s.flags}
    mean_label = "전 과목 평균 (평균)" if s.basis == "subject_mean" else "총점 득점률 (평균)"
    kr = "—" if s.kr20 is None else f"{s.kr20:.2f}"
    kpis = key_figures([(f"{s.students:,}", "응시"), (f"{s.passed:,}", "합격"),
                        (f"{percent(s.mean_percent, s.total_percent)}%", mean_label), (kr, "KR-20 신뢰도"),
                        (f"{len(s.flags)}", "경고 문항", "bad" if s.flags else ""),
                        (f"{sum(v for k, v in s.to_pass.items() if 0 < k <= 2):,}", "1–2문항 차이 불합격")])
    subjects = "".join(_subject_card(d, floor, s.students) for d in s.subjects)
    items = "".join(_item_row(i, flagged) for i in cohort.items)
    bad = ""
    if s.bad:
        bad = ('<section class="card"><h2>제외된 답안지 ' + f"({len(s.bad)})</h2><ul>" + "".join(
            f"<li><b>{esc(b.student or '?')}</b> {esc(b.path or '')}{esc(':' + str(b.line)) if b.line else ''}: "
            f"{esc(b.message)}</li>" for b in s.bad) + "</ul></section>")
    notes = "".join(f"<li>{esc(n)}</li>" for n in s.notes)
    rule = f"{basis_word(s.basis)} {line(s.total_percent)}% · 과목 {line(s.floor_percent)}%"
    facts = [("exam", f"{s.exam_name_en} ({s.exam})"), ("edition", s.edition), ("students", f"{s.students:,}"),
             ("items", f"{len(cohort.items):,}"), ("pass rule", rule)]
    if s.placement is not None:
        facts.append(("model placed", s.placement.model or s.placement.run))
    head = header(f"{s.exam_name} 모의고사 분석", f"{s.exam_name_en} · edition {s.edition} · {headline(s)}", facts)
    rate = ring(s.pass_rate, f"{s.pass_rate:.1%}", "합격률", colour=GREEN)
    body = f"""<div class="grid top"><section class="card ring">{rate}
<p><b>{s.passed:,}</b> / {s.students:,}명 합격</p>
<p class="muted small">기준: {esc(num(s.total_percent))}% · 과목 {esc(num(s.floor_percent))}%</p></section>
<section class="card"><h2>결과 요약 <small>Summary</small></h2>{kpis}</section>
<section class="card"><h2>불합격 사유 <small>Why students failed</small></h2>{_outcomes(s)}
<h2 style="margin-top:14px">합격까지 남은 정답 수</h2>
{_near_misses(s)}</section></div>
{_placement(s)}
<h2 class="section-title">과목별 점수 분포
<small>막대: 5% 구간별 학생 수 · 빨간 점선: {line(floor)}% 과락선</small></h2>
<div class="grid subjects">{subjects}</div>
<section class="card"><h2>문항 경고 <small>상위 25% 학생이 정답보다 오답을 더 고른 문항,
변별도가 음수이거나 0에 가까운 문항</small></h2>
{_flags(cohort)}</section>
<section class="card"><h2>문항 통계 <small>정답률 · 변별도(나머지 점수와의 점이연 상관) ·
선택 비율 (초록: 정답, 아래 가는 막대: 상위 25%)</small></h2>
<table><tr><th>문항</th><th>과목</th><th>정답</th><th>정답률</th><th>변별도</th><th>선택 비율</th></tr>{items}</table>
{_students(cohort)}</section>
{bad}"""
    footer = f"<p>합격 기준: {esc(s.pass_rule)}</p>{'<ul>' + notes + '</ul>' if notes else ''}"
    return page(f"{s.exam_name} 모의고사 — {s.students:,}명", head, body, footer)
