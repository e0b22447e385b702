"""The cohort as one self-contained HTML page: inline CSS and SVG, no script, every user string escaped."""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

from examqa.exams.scoring import format_points as num
from examqa.reports._cohort import FLAG_WORDS, headline

if TYPE_CHECKING:  # result types of the stages above: annotations only
    from examqa.cohort import Cohort, CohortSummary, ItemFlag, ItemStats, SubjectDistribution

GREEN, AMBER, ORANGE, RED, INK, MUTED = "#1f9d6b", "#e0a100", "#f07c2e", "#d64545", "#1d2433", "#6b7385"
BLUE = "#4b6cf0"


def esc(value: object) -> str:
    """``html.escape`` for any value: user strings (names, ids, subjects) never reach the page raw."""
    return html.escape(str(value), quote=True)


def _donut(rate: float) -> str:
    r, c = 52, 2 * math.pi * 52
    return (f'<svg viewBox="0 0 130 130" width="130" height="130" role="img" aria-label="pass rate">'
            f'<circle cx="65" cy="65" r="{r}" fill="none" stroke="#e8ebf3" stroke-width="14"/>'
            f'<circle cx="65" cy="65" r="{r}" fill="none" stroke="{GREEN}" stroke-width="14" stroke-linecap="round" '
            f'stroke-dasharray="{c * rate:.1f} {c:.1f}" transform="rotate(-90 65 65)"/>'
            f'<text x="65" y="63" text-anchor="middle" font-size="26" font-weight="700" fill="{INK}">{rate:.1%}</text>'
            f'<text x="65" y="84" text-anchor="middle" font-size="12" fill="{MUTED}">합격률</text></svg>')


def _outcomes(s: CohortSummary) -> str:
    total = "평균" if s.basis == "subject_mean" else "총점"
    parts = [("합격", s.passed, GREEN), ("과락만", s.failed_floor_only, ORANGE),
             (f"{total} 미달만", s.failed_total_only, AMBER), ("과락 + " + total, s.failed_both, RED)]
    n = max(s.students, 1)
    bar = "".join(f'<span style="width:{100 * v / n:.3f}%;background:{colour}" title="{esc(label)} {v:,}"></span>'
                  for label, v, colour in parts if v)
    legend = "".join(f'<li><i style="background:{colour}"></i>{esc(label)} <b>{v:,}</b> '
                     f'<small>{100 * v / n:.1f}%</small></li>' for label, v, colour in parts)
    return f'<div class="stack">{bar}</div><ul class="legend">{legend}</ul>'


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
    return (f'<svg viewBox="0 0 {width} {h + 40}" width="100%" height="{h + 40}" role="img" '
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
    return (f'<svg viewBox="-8 0 {w + 16} {h + pad + 4}" width="100%" role="img" '
            f'aria-label="{esc(d.name)} distribution">'
            f'<line x1="0" y1="{h + 6}" x2="{w}" y2="{h + 6}" stroke="#c9cfdd"/>{"".join(bars)}'
            f'<line x1="{fx:.1f}" y1="0" x2="{fx:.1f}" y2="{h + 8}" stroke="{RED}" stroke-width="2" '
            f'stroke-dasharray="5 3"/>'
            f'<text x="{fx + 4:.1f}" y="11" font-size="10" fill="{RED}">{floor_percent:g}% 과락선</text>'
            f'<line x1="{mx:.1f}" y1="0" x2="{mx:.1f}" y2="{h + 8}" stroke="{INK}" stroke-width="1.5"/>'
            f'<text x="{mx + 4:.1f}" y="24" font-size="10" fill="{INK}">평균 {d.mean_percent:.1f}%</text>{axis}</svg>')


def _subject_card(d: SubjectDistribution, floor_percent: float, students: int) -> str:
    group = f'<span class="chip">합산 {esc(d.group)}</span>' if d.group else ""
    kr = "—" if d.kr20 is None else f"{d.kr20:.2f}"
    share = d.below_floor / students if students else 0
    return (f'<section class="card subject"><h3>{esc(d.name)} <small>{esc(d.name_en)} · {d.items}문항 · '
            f'{esc(num(d.max_points))}점</small>{group}</h3>'
            f'{_histogram(d, floor_percent)}<dl>'
            f'<div><dt>평균</dt><dd>{d.mean_percent:.1f}%</dd></div><div><dt>중앙값</dt><dd>{d.median_percent:.1f}%</dd></div>'
            f'<div><dt>40% 미만</dt><dd class="{"bad" if share > 0.2 else ""}">{d.below_floor:,}명 '
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
            f'<p class="big">{"합격" if p.passed else "불합격"} · {p.total_percent:.1f}% · '
            f'백분위 <b>{p.percentile:.1f}</b>'
            f' · {p.rank:,}위 / {s.students:,}명</p>{rows}</section>')


def _students(cohort: Cohort) -> str:
    subjects = [d.name for d in cohort.summary.subjects]
    head = "".join(f"<th>{esc(n)}</th>" for n in subjects)
    t = cohort.table()
    rows = []
    for r, name in enumerate(t.student):
        verdict = '<span class="pass">합격</span>' if t.passed[r] else '<span class="fail">불합격</span>'
        need = ""
        if not t.passed[r] and t.to_pass[r] >= 0:
            ways = ", ".join(f"{n} {t.to_pass_by[n][r]}" for n in subjects if t.to_pass_by[n][r])
            need = esc(f"{t.to_pass[r]}개: {ways}")
        cells = "".join(f'<td class="num">{t.points[n][r]}</td>' for n in subjects)  # digits only: our own text
        rows.append(f'<tr><td>{esc(name)}</td><td>{verdict}</td><td class="num">{t.percent[r]:.1f}</td>{cells}'
                    f'<td>{need}</td></tr>')
    return (f'<details><summary>학생별 결과 ({len(rows):,}명)</summary><table class="students"><tr><th>학생</th>'
            f'<th>판정</th><th>%</th>{head}<th>합격까지</th></tr>{"".join(rows)}</table></details>')


CSS = f"""
*{{box-sizing:border-box}}
body{{margin:0;background:#f4f6fb;color:{INK};font:14px/1.5 "Pretendard","Apple SD Gothic Neo","Noto Sans KR",
"Malgun Gothic",system-ui,sans-serif}}
main{{max-width:1180px;margin:0 auto;padding:28px 24px 48px}}
header h1{{margin:0;font-size:24px}} header p{{margin:4px 0 0;color:{MUTED}}}
h2{{font-size:17px;margin:0 0 12px}} h3{{font-size:15px;margin:0 0 6px}} small{{color:{MUTED};font-weight:400}}
.card{{background:#fff;border-radius:14px;box-shadow:0 1px 2px rgba(20,30,60,.06),0 4px 16px rgba(20,30,60,.05);
padding:18px 20px}}
.grid{{display:grid;gap:16px}} .donut{{text-align:center;display:flex;flex-direction:column;
justify-content:center;align-items:center}} .donut p{{margin:4px 0 0}}
.top{{grid-template-columns:auto 1fr 1fr;margin:20px 0 16px;align-items:stretch}}
.kpis{{display:grid;grid-template-columns:repeat(2,1fr);gap:10px}}
.kpi{{background:#f7f8fc;border-radius:10px;padding:10px 12px}} .kpi b{{display:block;font-size:22px}}
.kpi span{{color:{MUTED};font-size:12px}}
.stack{{display:flex;height:22px;border-radius:11px;overflow:hidden;margin:8px 0 10px}}
.legend{{list-style:none;padding:0;margin:0;display:grid;grid-template-columns:1fr 1fr;gap:4px 14px}}
.legend i{{display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:6px}}
.subjects{{grid-template-columns:repeat(auto-fill,minmax(340px,1fr));margin:16px 0}}
.subject dl{{display:grid;grid-template-columns:repeat(4,1fr);gap:6px;margin:6px 0 0}}
.subject dt{{font-size:11px;color:{MUTED}}} .subject dd{{margin:0;font-weight:600}} dd.bad{{color:{RED}}}
.chip{{display:inline-block;margin-left:8px;padding:1px 8px;border-radius:9px;background:#eef1ff;color:{BLUE};
font-size:11px;font-weight:600}}
.flags{{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px}}
.flag{{border:1px solid #eceef4;border-left:4px solid {AMBER};border-radius:10px;padding:10px 12px}}
.flag.key_suspect{{border-left-color:{RED}}} .flag.negative_discrimination{{border-left-color:{ORANGE}}}
.flag p{{margin:6px 0}} .numbers{{font-size:11px;color:{MUTED}}} .caption{{font-size:10px;color:{MUTED}}}
.badge{{background:#fff1e0;color:#a35a00;border-radius:6px;padding:1px 7px;font-size:11px;font-weight:700}}
.badge.key_suspect{{background:#ffe6e6;color:#b02a2a}}
.shares{{display:flex;height:16px;border-radius:5px;overflow:hidden;font-size:10px;color:#fff;min-width:160px}}
.shares span{{display:flex;align-items:center;justify-content:center}} .shares.thin{{height:6px;margin-top:3px}}
table{{border-collapse:collapse;width:100%}} th{{text-align:left;font-size:12px;color:{MUTED};font-weight:600}}
td,th{{padding:6px 8px;border-bottom:1px solid #f0f1f5;vertical-align:middle}} td.num{{text-align:right}}
td.id{{font-family:ui-monospace,monospace;font-size:12px}} td.key{{text-align:center}}
tr.flagged td{{background:#fff8ec}}
.meter{{display:inline-block;width:70px;height:8px;background:#eef0f5;border-radius:4px;overflow:hidden;
margin-right:6px}} .meter span{{display:block;height:100%;background:{BLUE}}} .meter.wide{{width:100%}}
.disc{{font-variant-numeric:tabular-nums;font-weight:600;padding:1px 6px;border-radius:5px}}
.disc.neg{{background:#ffe6e6;color:#b02a2a}} .disc.low{{background:#fff3d6;color:#8a5a00}}
.disc.mid{{color:{MUTED}}} .disc.good{{color:{GREEN}}}
.pl-row{{display:grid;grid-template-columns:160px 1fr 40px;gap:10px;align-items:center;margin:4px 0}}
.big{{font-size:16px}} .pass{{color:{GREEN};font-weight:700}} .fail{{color:{RED};font-weight:700}}
.muted{{color:{MUTED}}} .small{{font-size:12px}} .ok{{color:{GREEN};font-weight:600}}
details{{margin-top:16px}} summary{{cursor:pointer;font-weight:600}} section+section{{margin-top:16px}}
footer{{margin-top:24px;color:{MUTED};font-size:12px}}
"""


def cohort_html(cohort: Cohort) -> str:
    """The cohort report as a self-contained page: outcomes, near misses, subjects, flags, items, students."""
    s = cohort.summary
    floor = float(s.floor_percent)
    flagged = {f.id for f in s.flags}
    mean_label = "전 과목 평균 (평균)" if s.basis == "subject_mean" else "총점 득점률 (평균)"
    kr = "—" if s.kr20 is None else f"{s.kr20:.2f}"
    kpis = (f'<div class="kpi"><b>{s.students:,}</b><span>응시</span></div>'
            f'<div class="kpi"><b>{s.passed:,}</b><span>합격</span></div>'
            f'<div class="kpi"><b>{s.mean_percent:.1f}%</b><span>{mean_label}</span></div>'
            f'<div class="kpi"><b>{kr}</b><span>KR-20 신뢰도</span></div>'
            f'<div class="kpi"><b>{len(s.flags)}</b><span>경고 문항</span></div>'
            f'<div class="kpi"><b>{sum(v for k, v in s.to_pass.items() if 0 < k <= 2):,}</b>'
            f'<span>1–2문항 차이 불합격</span></div>')
    subjects = "".join(_subject_card(d, floor, s.students) for d in s.subjects)
    items = "".join(_item_row(i, flagged) for i in cohort.items)
    bad = ""
    if s.bad:
        bad = ('<section class="card"><h2>제외된 답안지 ' + f"({len(s.bad)})</h2><ul>" + "".join(
            f"<li><b>{esc(b.student or '?')}</b> {esc(b.path or '')}{esc(':' + str(b.line)) if b.line else ''}: "
            f"{esc(b.message)}</li>" for b in s.bad) + "</ul></section>")
    notes = "".join(f"<li>{esc(n)}</li>" for n in s.notes)
    return f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{esc(s.exam_name)} 모의고사 — {s.students:,}명</title><style>{CSS}</style></head><body><main>
<header><h1>{esc(s.exam_name)} 모의고사 분석</h1>
<p>{esc(s.exam_name_en)} · edition {esc(s.edition)} · {esc(headline(s))}</p></header>
<div class="grid top"><section class="card donut">{_donut(s.pass_rate)}
<p><b>{s.passed:,}</b> / {s.students:,}명 합격</p>
<p class="muted small">기준: {esc(num(s.total_percent))}% · 과목 {esc(num(s.floor_percent))}%</p></section>
<section class="card"><h2>결과 요약</h2><div class="kpis">{kpis}</div></section>
<section class="card"><h2>불합격 사유</h2>{_outcomes(s)}<h2 style="margin-top:14px">합격까지 남은 정답 수</h2>
{_near_misses(s)}</section></div>
{_placement(s)}
<h2 style="margin-top:22px">과목별 점수 분포 <small>막대: 5% 구간별 학생 수 · 빨간 점선: {floor:g}% 과락선</small></h2>
<div class="grid subjects">{subjects}</div>
<section class="card"><h2>문항 경고 <small>상위 25% 학생이 정답보다 오답을 더 고른 문항,
변별도가 음수이거나 0에 가까운 문항</small></h2>
{_flags(cohort)}</section>
<section class="card"><h2>문항 통계 <small>정답률 · 변별도(나머지 점수와의 점이연 상관) ·
선택 비율 (초록: 정답, 아래 가는 막대: 상위 25%)</small></h2>
<table><tr><th>문항</th><th>과목</th><th>정답</th><th>정답률</th><th>변별도</th><th>선택 비율</th></tr>{items}</table>
{_students(cohort)}</section>
{bad}
<footer><p>합격 기준: {esc(s.pass_rule)}</p>{'<ul>' + notes + '</ul>' if notes else ''}<p>examqa</p></footer>
</main></body></html>
"""
