"""How numbers are shown where people read them: exact inside, a fixed number of places outside, and never
a rounded value on the wrong side of the line it is compared with.

Scores are exact (:class:`fractions.Fraction`) everywhere examqa decides; these functions only write them.
The one rule, used by every report (terminal, Markdown, HTML) and by the reasons :func:`examqa.exams.score`
writes:

- **percents** (a total, a mean of subjects, a subject's share, a margin to a floor) are written with
  exactly :data:`PLACES` decimals: ``59.95``, ``60.00``, ``-0.04``;
- **points** are written as examiners write them: whole, or up to :data:`PLACES` decimals, trailing zeros
  dropped (``35``, ``37.5``, ``36.67``);
- **lines** (60 %, 40 %, a floor in points) are written like points: exactly, as the law states them;
- a value written **beside the line it is compared with** is rounded toward its own side: below the line,
  it never shows as reaching the written line (59.9967 against 60 is ``59.99``, not ``60.00``); at or above,
  it never shows below it. Every other rounding is half up.

``reaches`` names the side when the caller knows it better than the value it holds — a verdict computed
exactly, shown from a float that was rounded for the JSON — and then wins.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

PLACES = 2
"""Decimals of every percent shown, and the most any points value shows."""

Number = Fraction | int | float


def exact(value: Number) -> Fraction:
    """``value`` as an exact fraction (a float is taken at its exact binary value)."""
    return value if isinstance(value, Fraction) else Fraction(value)


def _half_up(value: Fraction, places: int) -> int:
    """``value × 10^places`` rounded half up (away from zero on a tie), as an integer count of units."""
    scaled = value * 10**places
    whole = (abs(scaled) * 2 + 1) // 2  # floor(|x| + 1/2)
    return int(whole) if scaled >= 0 else -int(whole)


@lru_cache(maxsize=8192)  # a cohort writes the same few values in thousands of students' reasons
def units(value: Number, line: Number | None = None, *, places: int = PLACES, reaches: bool | None = None) -> int:
    """``value`` in units of ``10^-places``, rounded half up — or toward its own side of ``line``.

    With a line, the result is on the same side of the line's rounded units (:func:`_half_up`) as the
    value is of the line (``reaches``, when given, says which side that is): at or above it when the value
    reaches it, strictly below when it does not.
    """
    v = exact(value)
    shown = _half_up(v, places)
    if line is None:
        return shown
    at_line = _half_up(exact(line), places)
    above = v >= exact(line) if reaches is None else reaches
    if above and shown < at_line:
        return at_line
    if not above and shown >= at_line:
        return at_line - 1
    return shown


def _write(count: int, places: int, *, trim: bool, signed: bool) -> str:
    sign = "-" if count < 0 else "+" if signed else ""
    whole, frac = divmod(abs(count), 10**places)
    digits = f"{frac:0{places}d}" if places else ""
    if trim:
        digits = digits.rstrip("0")
    return f"{sign}{whole}" + (f".{digits}" if digits else "")


def percent(value: Number, line: Number | None = None, *, places: int = PLACES, reaches: bool | None = None,
            signed: bool = False) -> str:
    """A percent with exactly ``places`` decimals, never across ``line`` (``59.99`` for 59.9967 against 60).

    ``signed``: a ``+`` before a positive value or zero (deltas and margins).
    """
    return _write(units(value, line, places=places, reaches=reaches), places, trim=False, signed=signed)


def points(value: Number, line: Number | None = None, *, places: int = PLACES, reaches: bool | None = None,
           signed: bool = False) -> str:
    """Points as examiners write them (``35``, ``37.5``, ``36.67``), never across ``line``."""
    return _write(units(value, line, places=places, reaches=reaches), places, trim=True, signed=signed)


def line(value: Number, *, places: int = PLACES) -> str:
    """A line (60 %, 40 %, 24 points), written like points: exactly when it has at most ``places`` decimals."""
    return points(value, places=places)
