"""The one display rule (examqa.exams.display): exact inside, fixed places outside, never across a line."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from examqa.exams import display
from examqa.exams.display import line, percent, points, units

F = Fraction


@pytest.mark.parametrize(("value", "at", "reaches", "shown"), [
    (F(599567, 10000), 60, None, "59.96"),    # the cohort row that read "60.0 불합격"
    (F(599967, 10000), 60, None, "59.99"),    # would round to 60.00: held below the line
    (F(59995, 1000), 60, None, "59.99"),      # a half, but below: down
    (F(179, 3), 60, None, "59.67"),           # far from the line: plain rounding
    (F(6000001, 100000), 60, None, "60.00"),  # above the line, rounds down onto it: fine
    (F(60), 60, None, "60.00"),               # the boundary passes ("이상")
    (F(39996, 1000), 40, None, "39.99"),
    (F(40), 40, None, "40.00"),
    (F(200, 3), 40, None, "66.67"),
    (60.0, 60, False, "59.99"),               # a float rounded for the JSON: the exact verdict says below
    (59.99999, 60, True, "60.00"),            # and here that it reached the line
    (F(0), 60, None, "0.00"),
    (F(100), 60, None, "100.00"),
    (59.9967, None, None, "60.00"),           # no line: plain half-up rounding
])
def test_percent(value: Fraction | float, at: int | None, reaches: bool | None, shown: str) -> None:
    assert percent(value, at, reaches=reaches) == shown


@pytest.mark.parametrize(("value", "at", "shown"), [
    (F(35), None, "35"),                      # points as examiners write them
    (F(75, 2), None, "37.5"),
    (F(110, 3), None, "36.67"),
    (F(1, 8), None, "0.13"),                  # half up
    (F(95995, 1000), 96, "95.99"),            # a total in points just under its line
    (F(96), 96, "96"),
    (F(5, 2), 3, "2.5"),
    (F(299999, 100000), 3, "2.99"),
])
def test_points(value: Fraction, at: int | None, shown: str) -> None:
    assert points(value, at) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (F(-4, 1000), "-0.01"),  # a margin a hair under zero is a 과락: it shows negative
    (F(0), "+0.00"),
    (F(4, 1000), "+0.00"),
    (F(-25, 2), "-12.50"),
    (F(25, 2), "+12.50"),
])
def test_signed_margins_keep_their_side_of_zero(value: Fraction, shown: str) -> None:
    assert percent(value, 0, signed=True) == shown


def test_a_line_that_needs_more_places_than_shown() -> None:
    # the line itself rounds (36.664 → 36.66): a value below it shows below the line as written
    at = F(36664, 1000)
    assert line(at) == "36.66"
    assert points(F(366639, 10000), at) == "36.65"
    assert points(at, at) == "36.66"


def test_lines_are_written_exactly() -> None:
    assert (line(F(60)), line(F(40)), line(F(24)), line(F(75, 2))) == ("60", "40", "24", "37.5")


# --------------------------------------------------------------------------------------------- properties

fractions = st.fractions(min_value=-1000, max_value=1000, max_denominator=100_000)
places = st.integers(min_value=0, max_value=4)


@given(value=fractions, at=fractions, p=places)
def test_the_shown_value_is_on_the_same_side_of_the_shown_line(value: Fraction, at: Fraction, p: int) -> None:
    shown_value = Decimal(percent(value, at, places=p))
    shown_line = Decimal(line(at, places=p))
    assert (shown_value >= shown_line) == (value >= at)
    assert (Decimal(points(value, at, places=p)) >= shown_line) == (value >= at)


@given(value=fractions, at=fractions, p=places, reaches=st.booleans())
def test_the_verdict_decides_the_side_when_given(value: Fraction, at: Fraction, p: int, reaches: bool) -> None:
    assert (Decimal(percent(value, at, places=p, reaches=reaches)) >= Decimal(line(at, places=p))) == reaches


@given(value=fractions, at=fractions, p=places)
def test_the_shown_value_stays_close(value: Fraction, at: Fraction, p: int) -> None:
    ulp = F(1, 10**p)
    shown = F(units(value, at, places=p), 10**p)
    plain = F(units(value, places=p), 10**p)
    assert abs(plain - value) <= ulp / 2  # plain rounding: within half a unit
    # held at the line: within one and a half units (the line itself may have been rounded by half a unit)
    assert abs(shown - value) <= ulp * 3 / 2
    if abs(value - at) >= ulp:  # away from the line the rule changes nothing
        assert shown == plain


@given(value=fractions, p=places)
def test_fixed_places_and_exact_points(value: Fraction, p: int) -> None:
    text = percent(value, places=p)
    assert len(text.partition(".")[2]) == p
    if (value * 10**p).denominator == 1:  # a value that fits the places is written exactly
        assert Decimal(points(value, places=p)) == Decimal(value.numerator) / Decimal(value.denominator)


def test_floats_are_taken_exactly() -> None:
    assert display.exact(0.1) == F(3602879701896397, 36028797018963968)
    assert display.exact(3) == F(3)
