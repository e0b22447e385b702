"""The parts every HTML report is built from: one stylesheet, the page shell, the header, verdict badges,
the verdict ring, cards, key figures, bar charts and meters, tables, and escaping.

Every page is self-contained: inline CSS and SVG, no script, nothing fetched (a relative link from a suite
to its runs' own pages is the only link), printable (``@media print``: white paper, no shadows, cards kept
whole, colours kept). Text from outside — names, labels, subjects, ids, paths, notes — goes through
:func:`esc`; numbers are written by :mod:`examqa.exams.display` (never across the line they are held
against) before they get here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

GREEN, AMBER, ORANGE, RED, INK, MUTED = "#1f9d6b", "#e0a100", "#f07c2e", "#d64545", "#1d2433", "#6b7385"
BLUE, GREY, TRACK = "#4b6cf0", "#aab3c5", "#e8ebf3"
SVG_NS = "http://www.w3.org/2000/svg"
SERIES = (BLUE, "#8b5cf6", "#0ea5a4", ORANGE, "#db2777", "#64748b", "#84cc16", "#a16207")
"""One colour per run in a chart with several runs (a suite's modes, a comparison's runs)."""


def esc(value: object) -> str:
    """``html.escape`` for any value: text from outside never reaches the page raw."""
    return html.escape(str(value), quote=True)


# --------------------------------------------------------------------------------------------- the stylesheet

CSS = f"""
*{{box-sizing:border-box}}
body{{margin:0;background:#f4f6fb;color:{INK};font:14px/1.5 "Pretendard","Apple SD Gothic Neo","Noto Sans KR",
"Noto Sans CJK KR","Malgun Gothic",system-ui,sans-serif;-webkit-print-color-adjust:exact;print-color-adjust:exact}}
main{{max-width:1180px;margin:0 auto;padding:28px 24px 48px}}
header.page{{display:flex;gap:16px;align-items:flex-start;justify-content:space-between}}
header.page h1{{margin:0;font-size:24px}} header.page p{{margin:4px 0 0;color:{MUTED}}}
.facts{{display:flex;flex-wrap:wrap;gap:6px;margin-top:10px}}
.fact{{background:#fff;border:1px solid #e3e7f0;border-radius:8px;padding:2px 9px;font-size:12px}}
.fact span{{color:{MUTED};margin-right:5px}}
h2{{font-size:17px;margin:0 0 12px}} h3{{font-size:15px;margin:0 0 6px}} small{{color:{MUTED};font-weight:400}}
.card{{background:#fff;border-radius:14px;box-shadow:0 1px 2px rgba(20,30,60,.06),0 4px 16px rgba(20,30,60,.05);
padding:18px 20px}}
.grid{{display:grid;gap:16px;margin:16px 0}}
.top{{grid-template-columns:auto 1fr 1fr;margin:20px 0 16px;align-items:stretch}}
.two{{grid-template-columns:1fr 1fr}} .side{{grid-template-columns:minmax(240px,1fr) 2fr;align-items:start}}
.ring{{text-align:center;display:flex;flex-direction:column;justify-content:center;align-items:center;min-width:190px}}
.ring p{{margin:4px 0 0}}
.rings{{display:flex;gap:18px;justify-content:center;flex-wrap:wrap}} .rings>div{{text-align:center}}
.kpis{{display:grid;grid-template-columns:repeat(2,1fr);gap:10px}}
.kpi{{background:#f7f8fc;border-radius:10px;padding:10px 12px}}
.kpi b{{display:block;font-size:22px;white-space:nowrap;font-variant-numeric:tabular-nums}}
.kpi.long b{{font-size:17px}}
.kpi span{{color:{MUTED};font-size:12px}} .kpi.bad b{{color:{RED}}} .kpi.good b{{color:{GREEN}}}
.verdict{{display:inline-block;border-radius:999px;padding:3px 12px;font-weight:700;font-size:13px;
white-space:nowrap}}
.verdict.pass{{background:#e3f6ee;color:#137a52}} .verdict.fail{{background:#fde8e8;color:#b02a2a}}
.verdict.warn{{background:#fff3d6;color:#8a5a00}} .verdict.big{{font-size:18px;padding:6px 18px}}
.stack{{display:flex;height:22px;border-radius:11px;overflow:hidden;margin:8px 0 10px;background:{TRACK}}}
.legend{{list-style:none;padding:0;margin:0;display:grid;grid-template-columns:1fr 1fr;gap:4px 14px}}
.legend.row{{display:flex;flex-wrap:wrap;gap:4px 16px}}
.legend i{{display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:6px}}
.chip{{display:inline-block;margin:0 4px 4px 0;padding:1px 8px;border-radius:9px;background:#eef1ff;color:{BLUE};
font-size:11px;font-weight:600}}
.chip.bad{{background:#ffe6e6;color:#b02a2a}} .chip.good{{background:#e3f6ee;color:#137a52}}
.chip.plain{{background:#f0f2f7;color:{INK};font-weight:400}}
.reasons{{margin:0;padding-left:18px}} .reasons li{{margin:3px 0}} .reasons small{{display:block}}
.topass{{font-weight:700;color:#8a4b00;background:#fff4e0;padding:8px 12px;border-radius:10px;margin:10px 0 0}}
table{{border-collapse:collapse;width:100%}} th{{text-align:left;font-size:12px;color:{MUTED};font-weight:600}}
td,th{{padding:6px 8px;border-bottom:1px solid #f0f1f5;vertical-align:middle}} td.num,th.num{{text-align:right}}
td.num{{font-variant-numeric:tabular-nums;white-space:nowrap}} td.c,th.c{{text-align:center}}
td.nw{{white-space:nowrap}}
td.id{{font-family:ui-monospace,monospace;font-size:12px}} tr.total td{{font-weight:700;border-top:2px solid #e3e7f0}}
tr.group td{{font-style:italic;color:{MUTED}}}
.meter{{display:inline-block;position:relative;width:90px;height:8px;background:#eef0f5;border-radius:4px;
margin-right:6px;vertical-align:middle}} .meter span{{display:block;height:100%;border-radius:4px;background:{BLUE}}}
.meter i{{position:absolute;top:-3px;width:2px;height:14px;background:{INK};opacity:.55}}
.meter.pass span{{background:{GREEN}}} .meter.fail span{{background:{RED}}} .meter.wide{{width:100%}}
.delta{{font-variant-numeric:tabular-nums;font-weight:600}} .delta.up{{color:{GREEN}}} .delta.down{{color:{RED}}}
.delta.flat{{color:{MUTED}}}
.pass{{color:{GREEN};font-weight:700}} .fail{{color:{RED};font-weight:700}} .ok{{color:{GREEN};font-weight:600}}
.muted{{color:{MUTED}}} .small{{font-size:12px}} .big{{font-size:16px}}
details{{margin-top:16px}} summary{{cursor:pointer;font-weight:600}} section+section{{margin-top:16px}}
.grid>*,.grid>section+section{{margin:0}}
.section-title{{margin:22px 0 12px}}
.change{{display:flex;gap:8px;align-items:center;margin:8px 0;white-space:nowrap}} .change .delta{{margin-left:auto}}
.change small{{overflow:hidden;text-overflow:ellipsis}}
.items{{display:flex;flex-wrap:wrap;gap:3px;margin:4px 0 10px}}
.items i{{display:inline-block;width:14px;height:14px;border-radius:3px}}
.itemrow{{display:grid;grid-template-columns:170px 1fr;gap:10px;align-items:start}}
ul.plain{{margin:0;padding-left:18px}} ul.plain li{{margin:2px 0}}
code{{font-family:ui-monospace,monospace;font-size:12px;background:#f3f4f8;border-radius:4px;padding:0 4px}}
a{{color:{BLUE};text-decoration:none}} a:hover{{text-decoration:underline}}
footer{{margin-top:24px;color:{MUTED};font-size:12px}} footer ul{{padding-left:18px}}
svg text{{font-family:inherit}}
.subjects{{grid-template-columns:repeat(auto-fill,minmax(340px,1fr));margin:0 0 16px}}
.subject dl{{display:grid;grid-template-columns:repeat(4,1fr);gap:6px;margin:6px 0 0}}
.subject dt{{font-size:11px;color:{MUTED}}} .subject dd{{margin:0;font-weight:600}} dd.bad{{color:{RED}}}
.flags{{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px}}
.flag{{border:1px solid #eceef4;border-left:4px solid {AMBER};border-radius:10px;padding:10px 12px;break-inside:avoid}}
.flag.key_suspect{{border-left-color:{RED}}} .flag.negative_discrimination{{border-left-color:{ORANGE}}}
.flag p{{margin:6px 0}} .numbers{{font-size:11px;color:{MUTED}}} .caption{{font-size:10px;color:{MUTED}}}
.badge{{background:#fff1e0;color:#a35a00;border-radius:6px;padding:1px 7px;font-size:11px;font-weight:700}}
.badge.key_suspect{{background:#ffe6e6;color:#b02a2a}}
.shares{{display:flex;height:16px;border-radius:5px;overflow:hidden;font-size:10px;color:#fff;min-width:160px}}
.shares span{{display:flex;align-items:center;justify-content:center}} .shares.thin{{height:6px;margin-top:3px}}
tr.flagged td{{background:#fff8ec}}
.disc{{font-variant-numeric:tabular-nums;font-weight:600;padding:1px 6px;border-radius:5px}}
.disc.neg{{background:#ffe6e6;color:#b02a2a}} .disc.low{{background:#fff3d6;color:#8a5a00}}
.disc.mid{{color:{MUTED}}} .disc.good{{color:{GREEN}}}
.pl-row{{display:grid;grid-template-columns:160px 1fr 48px;gap:10px;align-items:center;margin:4px 0}}
@media (max-width:900px){{.top,.two,.side{{grid-template-columns:1fr}}}}
@page{{size:A4;margin:12mm}}
@media print{{
body{{background:#fff;font-size:11px}} main{{max-width:none;padding:0}}
.card{{box-shadow:none;border:1px solid #dfe3ec;break-inside:avoid}} .top{{grid-template-columns:auto 1fr 1fr}}
.grid{{gap:10px}} tr{{break-inside:avoid}} h2{{break-after:avoid}} a{{color:inherit}}
details::details-content{{content-visibility:visible;display:block}} summary{{list-style:none}}
}}
"""


# --------------------------------------------------------------------------------------------- the page


def page(title: str, header: str, body: str, footer: str = "") -> str:
    """A whole self-contained page: the stylesheet, the header, the body and a footer."""
    return (f'<!doctype html>\n<html lang="ko"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>\n{header}\n{body}\n"
            f"<footer>{footer}<p>examqa</p></footer>\n</main></body></html>\n")


def header(title: str, subtitle: str = "", facts: Sequence[tuple[str, str]] = (), badge_html: str = "") -> str:
    """The page header: title, a line under it, the facts (exam, model, mode, protocol …) and a verdict."""
    chips = "".join(f'<span class="fact"><span>{esc(k)}</span>{esc(v)}</span>' for k, v in facts if v)
    return (f'<header class="page"><div><h1>{esc(title)}</h1>'
            + (f"<p>{esc(subtitle)}</p>" if subtitle else "")
            + (f'<div class="facts">{chips}</div>' if chips else "")
            + f"</div>{badge_html}</header>")


def badge(passed: bool | None, text: str, *, big: bool = False) -> str:
    """A verdict badge: green for a pass, red for a fail, amber when there is none yet (None)."""
    kind = "warn" if passed is None else "pass" if passed else "fail"
    return f'<span class="verdict {kind}{" big" if big else ""}">{esc(text)}</span>'


def card(body: str, title: str = "", sub: str = "", cls: str = "") -> str:
    """A white card; ``title`` and ``sub`` are text, ``body`` is HTML."""
    head = f"<h2>{esc(title)}" + (f" <small>{esc(sub)}</small>" if sub else "") + "</h2>" if title else ""
    return f'<section class="card{" " + cls if cls else ""}">{head}{body}</section>'


def kpis(figures: Iterable[tuple[str, str] | tuple[str, str, str]]) -> str:
    """Key figures: (value, label) or (value, label, "good"/"bad")."""
    cells = []
    for figure in figures:
        value, label = figure[0], figure[1]
        cls = f" {figure[2]}" if len(figure) > 2 and figure[2] else ""
        cls += " long" if len(value) > 10 else ""
        cells.append(f'<div class="kpi{cls}"><b>{esc(value)}</b><span>{esc(label)}</span></div>')
    return f'<div class="kpis">{"".join(cells)}</div>'


def chip(text: str, kind: str = "") -> str:
    """A small rounded label (``good``, ``bad``, ``plain`` or the default blue)."""
    return f'<span class="chip{" " + kind if kind else ""}">{esc(text)}</span>'


# --------------------------------------------------------------------------------------------- charts


def ring(fraction: float, centre: str, caption: str, *, colour: str = GREEN,
         marks: Sequence[tuple[float, str]] = (), size: int = 130) -> str:
    """The verdict ring: ``fraction`` of the circle filled, ``centre`` in the middle, and a tick at each
    mark (a line: 60 % …) with its label outside the ring."""
    r, c = 52, 2 * math.pi * 52
    filled = max(0.0, min(1.0, fraction))
    ticks = []
    for at, label in marks:
        angle = 2 * math.pi * max(0.0, min(1.0, at)) - math.pi / 2
        x1, y1 = 65 + 43 * math.cos(angle), 65 + 43 * math.sin(angle)
        x2, y2 = 65 + 61 * math.cos(angle), 65 + 61 * math.sin(angle)
        ticks.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{INK}" '
                     f'stroke-width="2.5"><title>{esc(label)}</title></line>')
    font = 24 if len(centre) <= 5 else 21 if len(centre) <= 6 else 18
    return (f'<svg xmlns="{SVG_NS}" viewBox="-4 -4 138 138" width="{size}" height="{size}" role="img" '
            f'aria-label="{esc(caption)}">'
            f'<circle cx="65" cy="65" r="{r}" fill="none" stroke="{TRACK}" stroke-width="14"/>'
            f'<circle cx="65" cy="65" r="{r}" fill="none" stroke="{colour}" stroke-width="14" '
            f'stroke-linecap="{"round" if 0 < filled < 1 else "butt"}" '
            f'stroke-dasharray="{c * filled:.1f} {c:.1f}" transform="rotate(-90 65 65)"/>{"".join(ticks)}'
            f'<text x="65" y="65" text-anchor="middle" font-size="{font}" '
            f'font-weight="700" fill="{INK}">{esc(centre)}</text>'
            f'<text x="65" y="85" text-anchor="middle" font-size="12" fill="{MUTED}">{esc(caption)}</text></svg>')


def stack(parts: Sequence[tuple[str, int, str]], total: int, *, legend: bool = True) -> str:
    """A stacked bar of counts (label, count, colour) out of ``total``, with its legend."""
    n = max(total, 1)
    bar = "".join(f'<span style="width:{100 * v / n:.3f}%;background:{colour}" title="{esc(label)} {v:,}"></span>'
                  for label, v, colour in parts if v)
    keys = "".join(f'<li><i style="background:{colour}"></i>{esc(label)} <b>{v:,}</b> '
                   f'<small>{100 * v / n:.1f}%</small></li>' for label, v, colour in parts)
    return f'<div class="stack">{bar}</div>' + (f'<ul class="legend">{keys}</ul>' if legend else "")


def meter(value: float, *, tick: float | None = None, state: bool | None = None, wide: bool = False) -> str:
    """A small horizontal meter of a percent (0–100), green or red by ``state``, with a tick at a line."""
    kind = "" if state is None else " pass" if state else " fail"
    mark = f'<i style="left:{max(0.0, min(100.0, tick)):.1f}%"></i>' if tick is not None else ""
    return (f'<span class="meter{kind}{" wide" if wide else ""}"><span style="width:'
            f'{max(0.0, min(100.0, value)):.1f}%"></span>{mark}</span>')


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its value in percent (0–100), the text beside it, and how it is drawn."""

    value: float
    text: str
    colour: str = BLUE
    faded: bool = False
    title: str = ""


@dataclass(frozen=True)
class BarGroup:
    """One label of a bar chart with one bar per series (a subject: one bar per run)."""

    label: str
    bars: Sequence[Bar]
    sub: str = ""
    strong: bool = False


@dataclass(frozen=True)
class Line:
    """A vertical line across a bar chart: the floor, the total line."""

    value: float
    label: str
    colour: str = INK
    dash: str = "5 3"


@dataclass
class BarChart:
    """Horizontal bars on a 0–100 % axis, grouped by label, with lines drawn across (the chart vocabulary
    of every report: green passes, red falls short, a dashed red floor, a dashed dark total line)."""

    groups: Sequence[BarGroup]
    lines: Sequence[Line] = ()
    legend: Sequence[tuple[str, str]] = field(default_factory=tuple)
    label_width: int = 210
    width: int = 1080
    bar: int = 18
    caption: str = "scores"

    def svg(self) -> str:
        left, right, gap, top = self.label_width, 64, 12, 14 + 13 * len(self.lines)
        span = self.width - left - right
        scale = span / 100
        y = top
        out: list[str] = []
        texts: list[str] = []
        for g in self.groups:
            height = len(g.bars) * self.bar
            weight = ' font-weight="700"' if g.strong else ""
            mid = y + height / 2
            out.append(f'<text x="{left - 10}" y="{mid + (0 if g.sub else 4):.1f}" text-anchor="end" font-size="12" '
                       f'fill="{INK}"{weight}>{esc(_clip(g.label, 26))}</text>')
            if g.sub:
                out.append(f'<text x="{left - 10}" y="{mid + 13:.1f}" text-anchor="end" font-size="10" '
                           f'fill="{MUTED}">{esc(_clip(g.sub, 34))}</text>')
            for i, b in enumerate(g.bars):
                by = y + i * self.bar
                w = max(0.0, min(100.0, b.value)) * scale
                opacity = "0.45" if b.faded else "1"
                title = f"<title>{esc(b.title)}</title>" if b.title else ""
                out.append(f'<rect x="{left}" y="{by + 2}" width="{span:.1f}" height="{self.bar - 4}" rx="4" '
                           f'fill="#f1f3f8"/>'
                           f'<rect x="{left}" y="{by + 2}" width="{w:.1f}" height="{self.bar - 4}" rx="4" '
                           f'fill="{b.colour}" fill-opacity="{opacity}">{title}</rect>')
                texts.append(f'<text x="{left + w + 5:.1f}" y="{by + self.bar / 2 + 4:.1f}" font-size="11" '
                             f'fill="{INK}" stroke="#fff" stroke-width="3" paint-order="stroke">{esc(b.text)}</text>')
            y += height + gap
        bottom = y - gap + 6
        axis = "".join(f'<text x="{left + t * scale:.1f}" y="{bottom + 14}" text-anchor="middle" font-size="10" '
                       f'fill="{MUTED}">{t}</text>' for t in (0, 20, 40, 60, 80, 100))
        lines = []
        for n, ln in enumerate(self.lines):
            x = left + max(0.0, min(100.0, ln.value)) * scale
            lines.append(f'<line x1="{x:.1f}" y1="{13 * n}" x2="{x:.1f}" y2="{bottom}" stroke="{ln.colour}" '
                         f'stroke-width="1.6" stroke-dasharray="{ln.dash}"/>'
                         f'<text x="{x + 4:.1f}" y="{10 + 13 * n}" font-size="11" fill="{ln.colour}">'
                         f"{esc(ln.label)}</text>")
        height = bottom + 22
        legend = ""
        if self.legend:
            keys = "".join(f'<li><i style="background:{colour}"></i>{esc(name)}</li>' for name, colour in self.legend)
            legend = f'<ul class="legend row">{keys}</ul>'
        return (legend + f'<svg xmlns="{SVG_NS}" viewBox="0 0 {self.width} {height}" width="100%" role="img" '
                f'aria-label="{esc(self.caption)}" style="max-width:{self.width}px">{"".join(out)}{"".join(lines)}'
                f'{"".join(texts)}{axis}</svg>')


def _clip(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def squares(cells: Iterable[tuple[str, str]]) -> str:
    """A strip of small squares (colour, tooltip): one per item."""
    return '<div class="items">' + "".join(f'<i style="background:{c}" title="{esc(t)}"></i>' for c, t in cells) \
        + "</div>"


# --------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Cell:
    """A table cell: HTML content and a class (``num``, ``c``, ``id`` …)."""

    html: str
    cls: str = ""


def cell(value: object, cls: str = "") -> Cell:
    """A cell holding text (escaped)."""
    return Cell(esc(value), cls)


def raw(html_: str, cls: str = "") -> Cell:
    """A cell holding HTML the caller built."""
    return Cell(html_, cls)


def table(head: Sequence[str | tuple[str, str]], rows: Iterable[tuple[Sequence[Cell], str]]) -> str:
    """A table: ``head`` cells are text (or (text, class)); each row is (cells, row class)."""
    th = "".join(f'<th class="{h[1]}">{esc(h[0])}</th>' if isinstance(h, tuple) else f"<th>{esc(h)}</th>"
                 for h in head)
    body = []
    for cells, cls in rows:
        tds = "".join(f'<td class="{c.cls}">{c.html}</td>' if c.cls else f"<td>{c.html}</td>" for c in cells)
        body.append(f'<tr class="{cls}">{tds}</tr>' if cls else f"<tr>{tds}</tr>")
    return f"<table><tr>{th}</tr>{''.join(body)}</table>"


def bullets(items: Iterable[str]) -> str:
    """A list of texts (escaped); empty when there is none."""
    lis = "".join(f"<li>{esc(i)}</li>" for i in items)
    return f'<ul class="plain">{lis}</ul>' if lis else ""


def delta(text: str, sign: int) -> str:
    """A signed figure, green up, red down, grey flat."""
    kind = "up" if sign > 0 else "down" if sign < 0 else "flat"
    return f'<span class="delta {kind}">{esc(text)}</span>'
