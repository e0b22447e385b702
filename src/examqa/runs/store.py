"""The run store: one directory per model run, a stable interface for anything that reads it.

Layout (documented in docs/runs.md)::

    RUN/manifest.json   what ran: model, backend, sampling, template/exam/bank hashes, examqa version
    RUN/samples.jsonl   one line per generated sample, appended and flushed the moment it is graded
    RUN/errors.jsonl    samples that failed (server errors); ``--resume`` retries them
    RUN/report.json     the report (also report.md, report.html)

A sample is written with one ``write`` of a whole line followed by flush + fsync, so ``kill -9`` leaves at
most one partial last line, which :meth:`RunStore.open` trims before resuming.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from examqa.errors import InputError, RunConfigMismatch

RUN_SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
SAMPLES = "samples.jsonl"
ERRORS = "errors.jsonl"

Outcome = Literal["correct", "wrong", "no_answer", "truncated", "error"]


class SampleRecord(BaseModel):
    """One generated sample: what was asked, what came back, and how it was graded."""

    model_config = ConfigDict(extra="ignore")

    schema_version: int = RUN_SCHEMA_VERSION
    id: str = Field(description="Question id.")
    sample: int = Field(description="Sample index, 0..K-1.")
    subject: str
    prompt: str = Field(description="The prompt as the model saw it (chat template applied when known).")
    messages: list[dict[str, str]] = Field(default_factory=list)
    template_sha256: str
    output: str = Field(description="The raw completion.")
    reasoning: str | None = None
    server_split: bool = Field(default=False, description="The server returned reasoning and answer apart.")
    final: str = Field(default="", description="The answer part after </think>.")
    choice: int | None = Field(default=None, description="Parsed 1-based choice.")
    method: str = Field(description="How the choice was found, or why not.")
    truncated: bool = False
    correct: bool | None = None
    outcome: Outcome
    finish_reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int | None = None
    latency_s: float = 0.0
    error: str | None = None
    readings: dict[str, int | None] = Field(
        default_factory=dict, description="Other extractors' readings of the output (e.g. the KMMLU-Pro "
        "paper's regex under --protocol kmmlu-pro), beside examqa's own ``choice``.")
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def key(self) -> str:
        """``"<id>#<sample>"``: unique per run."""
        return f"{self.id}#{self.sample}"


class RunManifest(BaseModel):
    """What a run is. ``config`` holds the fields a resume must match exactly."""

    model_config = ConfigDict(extra="ignore")

    schema_version: int = RUN_SCHEMA_VERSION
    examqa_version: str
    created: str
    config: dict[str, Any] = Field(description="Exam, bank/template hashes, model, backend, sampling, K.")
    runtime: dict[str, Any] = Field(default_factory=dict,
                                    description="Settings that may change on resume (batch size, URLs).")


def _config_diff(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    diffs: list[str] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            diffs += _config_diff(a, b, f"{prefix}{key}.")
        elif a != b:
            diffs.append(f"{prefix}{key}: {a!r} → {b!r}")
    return diffs


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:  # a hand edit in another encoding, a disk error
                raise InputError(f"corrupt record: not UTF-8 (byte 0x{raw[exc.start]:02x})", path=path,
                                 line=lineno, hint="remove that line and resume") from exc
            if line.strip():
                try:
                    yield lineno, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"corrupt record: {exc.msg}", path=path, line=lineno,
                                     hint="remove that line and resume") from exc


def _trim_partial_tail(path: Path) -> bool:
    """Cut a last line that has no newline (a write interrupted by kill -9). True if something was cut."""
    if not path.exists():
        return False
    with path.open("rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return False
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return False
        # walk back to the previous newline
        pos = size - 1
        while pos > 0:
            step = min(4096, pos)
            fh.seek(pos - step)
            chunk = fh.read(step)
            nl = chunk.rfind(b"\n")
            if nl != -1:
                fh.truncate(pos - step + nl + 1)
                return True
            pos -= step
        fh.truncate(0)
        return True


class RunStore:
    """An open run directory. Use :meth:`create` for a new run, :meth:`open` to resume or re-read."""

    def __init__(self, root: Path, manifest: RunManifest) -> None:
        self.root = root
        self.manifest = manifest
        self.trimmed = False

    # ------------------------------------------------------------------ opening

    @classmethod
    def create(cls, root: Path, config: dict[str, Any], runtime: dict[str, Any], version: str) -> RunStore:
        """Start a new run in ``root`` (which must be absent or empty)."""
        cls.ensure_new(root)
        root.mkdir(parents=True, exist_ok=True)
        manifest = RunManifest(examqa_version=version, created=datetime.now(UTC).isoformat(timespec="seconds"),
                               config=config, runtime=runtime)
        store = cls(root, manifest)
        store._write_atomic(MANIFEST, manifest.model_dump_json(indent=2))
        (root / SAMPLES).touch()
        return store

    @staticmethod
    def ensure_new(root: Path) -> None:
        """Refuse a ``root`` that already holds something: a run is never overwritten."""
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise InputError(f"run directory {root} already holds a run",
                             hint="add --resume to finish it, or choose another --out")

    @classmethod
    def open(cls, root: Path) -> RunStore:
        """Open an existing run (to resume, re-render or rescore), trimming a partial last line."""
        path = root / MANIFEST
        if not path.is_file():
            raise InputError(f"{root} is not an examqa run directory (no {MANIFEST})",
                             hint="pass the folder given to --out")
        try:
            manifest = RunManifest.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            raise InputError(f"unreadable manifest: {exc.errors()[0]['msg']}", path=path) from exc
        store = cls(root, manifest)
        store.trimmed = _trim_partial_tail(root / SAMPLES) | _trim_partial_tail(root / ERRORS)
        return store

    def check_resume(self, config: dict[str, Any], runtime: dict[str, Any]) -> None:
        """Refuse to resume with a different configuration; record the new runtime settings."""
        diffs = _config_diff(self.manifest.config, config)
        if diffs:
            raise RunConfigMismatch(
                f"cannot resume {self.root}: the configuration differs ({'; '.join(diffs[:4])}"
                + (" …" if len(diffs) > 4 else "") + ") — rerun with the original options or use a new --out")
        self.record_runtime(runtime)

    def record_runtime(self, runtime: dict[str, Any]) -> None:
        """Replace the manifest's ``runtime`` (settings that may change between resumes)."""
        self.manifest = self.manifest.model_copy(update={"runtime": runtime})
        self._write_atomic(MANIFEST, self.manifest.model_dump_json(indent=2))

    # ------------------------------------------------------------------ samples

    def samples(self) -> list[SampleRecord]:
        """Every stored sample, first record per key (a duplicate can only come from a hand edit)."""
        path = self.root / SAMPLES
        if not path.exists():
            return []
        seen: dict[str, SampleRecord] = {}
        for lineno, raw in _read_jsonl(path):
            try:
                rec = SampleRecord.model_validate(raw)
            except ValidationError as exc:
                raise InputError(f"bad sample record: {exc.errors()[0]['msg']}", path=path, line=lineno) from exc
            seen.setdefault(rec.key, rec)
        return list(seen.values())

    def errors(self) -> list[SampleRecord]:
        """Failed samples not since generated successfully."""
        path = self.root / ERRORS
        if not path.exists():
            return []
        done = {r.key for r in self.samples()}
        latest: dict[str, SampleRecord] = {}
        for _, raw in _read_jsonl(path):
            rec = SampleRecord.model_validate(raw)
            if rec.key not in done:
                latest[rec.key] = rec
        return list(latest.values())

    def append(self, record: SampleRecord) -> None:
        """Write one record durably: a whole line, flushed and fsynced before returning."""
        name = ERRORS if record.outcome == "error" else SAMPLES
        line = record.model_dump_json() + "\n"
        with (self.root / name).open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def rewrite_samples(self, records: list[SampleRecord]) -> None:
        """Replace samples.jsonl atomically (``rescore`` re-parses stored outputs)."""
        self._write_atomic(SAMPLES, "".join(r.model_dump_json() + "\n" for r in records))

    # ------------------------------------------------------------------ reports

    def write_text(self, name: str, text: str) -> Path:
        """Write a report file atomically; returns its path."""
        return self._write_atomic(name, text)

    def _write_atomic(self, name: str, text: str) -> Path:
        target = self.root / name
        tmp = target.with_name(f".{name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        return target
