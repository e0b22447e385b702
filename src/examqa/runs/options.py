"""Run options: one validated model that ``examqa.evaluate`` takes as keywords and the CLI builds from flags.

The command line's run flags (``--samples``, ``--temperature``, ``--out`` …) are generated from the
fields of :class:`RunOptions` — names, types, limits and help — so Python and the shell cannot drift
apart: ``examqa grade EXAM --bank B --model M --samples 4 --seed 7`` is
``examqa.evaluate(EXAM, B, backend, samples=4, seed=7)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from examqa.errors import InputError

Mode = Literal["reasoning", "non-reasoning"]
"""The two modes of a hybrid model."""


def _cli(flag: str, metavar: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"cli": {"flag": flag, "metavar": metavar, **extra}}


def _paper_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


PaperName = Annotated[str, BeforeValidator(_paper_text)]
"""A paper by year or 회차: ``"2020"`` (or ``2020``), ``"43회"``."""


class Options(BaseModel):
    """Base of the option models: unknown names are errors, values are fixed once validated."""

    # Built on first validation, not at import: grading a sheet never validates RunOptions, and the
    # CLI reads only its fields (names, help, limits) to make flags.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class SheetOptions(Options):
    """How a sheet is graded (``grade_sheet``; ``examqa grade … --answers``)."""

    edition: str | None = Field(None, description="Blueprint edition (default: the one in force in the bank's year).",
                                json_schema_extra=_cli("--edition", "ID"))
    bank_format: str | None = Field(None, description="Bank format, overriding detection from the content.",
                                    json_schema_extra=_cli("--bank-format", "NAME"))
    grader: str | None = Field(None, description="Grader by name (examqa.graders), instead of the exam's own.",
                               json_schema_extra=_cli("--grader", "NAME"))
    paper: PaperName | None = Field(None, description=(
        "The paper to grade when the bank holds several (years, rounds): its year (2020) or 회차 (43회)."),
                              json_schema_extra=_cli("--paper", "PAPER"))
    elective: str | None = Field(None, description=(
        "The elective sat (세무사, 공인노무사: e.g. 민법), when the bank holds several; several names, "
        "comma-separated, for a suite. Default: a sheet's is the one it answers; a model run's the first listed."),
        json_schema_extra=_cli("--elective", "NAME"))
    year: int | None = Field(None, ge=1900, le=2100, description=(
        "The exam year whose rules apply: a rank exam's announced cut (default: the bank's year)."),
        json_schema_extra=_cli("--year", "YEAR"))


class SolveOptions(Options):
    """How a model answers one question: mode, sampling, prompts. Shared by ``solve`` and ``evaluate``."""

    thinking: bool = Field(True, description="Reasoning mode (enable_thinking); False for the other mode.",
                           json_schema_extra=_cli("--no-thinking", negate=True, help=(
                               "Run in non-reasoning mode (enable_thinking=False, that mode's sampling); the "
                               "default is reasoning mode. Not with --modes, which names the modes itself.")))
    temperature: float | None = Field(None, ge=0.0, description=(
        "Sampling temperature; 0 = greedy. Default: the protocol's for the mode (examqa: 0.6 reasoning, "
        "0 otherwise)."), json_schema_extra=_cli("--temperature", "T"))
    top_p: float | None = Field(None, gt=0.0, le=1.0, description="Nucleus sampling; default the protocol's (0.95).",
                                json_schema_extra=_cli("--top-p", "P"))
    seed: int | None = Field(None, description="Sampling seed; sample k of an item uses seed + k.",
                             json_schema_extra=_cli("--seed", "N"))
    max_new_tokens: int = Field(16384, ge=1, description="Token budget per answer, reasoning included.",
                                json_schema_extra=_cli("--max-new-tokens", "N"))
    presence_penalty: float | None = Field(None, description="Servers only (transformers has none).",
                                           json_schema_extra=_cli("--presence-penalty", "X"))
    prompts: Path | None = Field(None, description="Folder of prompt templates (system.j2, user.j2) to use.",
                                 json_schema_extra=_cli("--prompts", "DIR"))
    protocol: str = Field("examqa", description="Prompt and reading protocol: examqa, or kmmlu-pro (the paper's).",
                          json_schema_extra=_cli("--protocol", "NAME"))

    @property
    def mode(self) -> Mode:
        """``reasoning`` or ``non-reasoning``."""
        return "reasoning" if self.thinking else "non-reasoning"


class RunOptions(SolveOptions, SheetOptions):
    """Everything ``examqa grade … --model`` can be told about a run, validated once."""

    samples: int = Field(1, ge=1, description="Answers drawn per item (majority vote, P(pass)).",
                         json_schema_extra=_cli("--samples", "K"))
    limit: int | None = Field(None, ge=1, description="Only the first N items (a quick look).",
                              json_schema_extra=_cli("--limit", "N"))
    out: Path | None = Field(None, description="Run directory (default runs/<exam>-<model>-<time>).",
                             json_schema_extra=_cli("--out", "RUN"))
    resume: bool = Field(False, description="Finish the run in --out without redoing stored samples.",
                         json_schema_extra=_cli("--resume"))
    price_in: float | None = Field(None, ge=0.0, description="Price per million input tokens (cost lines).",
                                   json_schema_extra=_cli("--price-in", "PRICE"))
    price_out: float | None = Field(None, ge=0.0, description="Price per million output tokens.",
                                    json_schema_extra=_cli("--price-out", "PRICE"))
    currency: str = Field("USD", min_length=1, description="Currency of the prices.",
                          json_schema_extra=_cli("--currency", "CODE"))

    @model_validator(mode="after")
    def _resume_needs_out(self) -> RunOptions:
        if self.resume and self.out is None:
            raise ValueError("resume needs out (the run directory to finish): --resume --out RUN")
        return self


def validated(model: type[Options], values: dict[str, Any], *, flags: bool = False) -> Any:
    """``model(**values)``, or one :class:`InputError` line naming the option (or flag) and the fix."""
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        if first["type"] == "extra_forbidden":
            known = ", ".join(sorted(model.model_fields))
            raise InputError(f"unknown option {name!r}", hint=f"options are: {known}") from None
        shown = option_flag(model, name) if flags and name else name
        msg = str(first["msg"]).removeprefix("Value error, ")
        if shown:
            raise InputError(f"{shown}: {msg}") from None
        raise InputError(msg) from None


def option_flag(model: type[Options], name: str) -> str:
    """The command-line flag of option ``name`` (``max_new_tokens`` → ``--max-new-tokens``)."""
    cli = cli_spec(model, name)
    return str(cli["flag"]) if cli else "--" + name.replace("_", "-")


def cli_spec(model: type[Options], name: str) -> dict[str, Any]:
    """The command-line spec stored on a field (flag, metavar, negate), or ``{}``."""
    field = model.model_fields.get(name)
    extra = field.json_schema_extra if field is not None else None
    cli = extra.get("cli") if isinstance(extra, dict) else None
    return dict(cli) if isinstance(cli, dict) else {}


class SuiteOptions(RunOptions):
    """The run options, plus the modes to run every exam in (``examqa.evaluate_suite``)."""

    modes: tuple[Mode, ...] = Field(("reasoning",), min_length=1, description=(
        "Modes of the hybrid model to run (comma-separated): reasoning, non-reasoning. Each uses its own "
        "recommended sampling unless --temperature/--top-p say otherwise."),
        json_schema_extra=_cli("--modes", "MODES", help=(
            "Run each exam in these modes, comma-separated: reasoning, non-reasoning, or both "
            "(reasoning,non-reasoning: one run per exam and mode, the two compared). Each mode uses its own "
            "recommended sampling unless --temperature/--top-p say otherwise. Not with --no-thinking.")))
