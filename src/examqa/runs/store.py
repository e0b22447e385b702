"""The run store: one directory per model run, a stable interface for anything that reads it.

Layout (documented in docs/runs.md)::

    RUN/manifest.json   what ran: model, backend, sampling, template/exam/bank hashes, examqa version
    RUN/samples.jsonl   one line per generated sample, appended and fsynced the moment it is graded
    RUN/errors.jsonl    samples that failed (server errors); ``--resume`` retries them
    RUN/report.json     the report (also report.md, report.html)
    RUN/.lock           held (``flock``) by the one process writing the run, for as long as it writes

**One writer.** A run directory is created exclusively and written under its lock for the life of the run
(a new run, a resume, a rescore): a second writer is refused with one line naming the directory and the
process that holds it. The lock is the kernel's, so a writer killed with ``kill -9`` leaves nothing to
clean up. **Readers never modify a run**: :meth:`RunStore.read` opens it without the lock, and a last line
without its newline — a write in progress, or one cut by ``kill -9`` — is skipped, not trimmed; only the
next writer (a resume) trims it. **Whole lines**: a sample is one ``write`` of a whole line (repeated until
the kernel took every byte), then fsync; a write that fails (a full disk) is cut back to the line before
it. Files replaced whole (the manifest, the reports, a rescored ``samples.jsonl``) are written to a
temporary file, fsynced, renamed over the old one, and the directory fsynced. **An OSError** while writing
(a full disk, no permission) is a :class:`~examqa.errors.RunStoreError` naming the path: what was stored
before it stays.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from examqa.errors import InputError, RunConfigMismatch, RunStoreError

RUN_SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
SAMPLES = "samples.jsonl"
ERRORS = "errors.jsonl"
LOCK = ".lock"
BACKEND_EVENTS = "backend_events"

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


def _complete_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """The lines of ``path`` that end in a newline, numbered from 1: a last line without one is a write
    in progress (or cut by ``kill -9``) and is skipped — a reader never trims it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=path) from exc
    end = data.rfind(b"\n") + 1  # everything after the last newline is partial
    for lineno, line in enumerate(data[:end].split(b"\n")[:-1], start=1):
        if line.strip():
            yield lineno, line


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, raw in _complete_lines(path):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:  # a hand edit in another encoding, a disk error
            raise InputError(f"corrupt record: not UTF-8 (byte 0x{raw[exc.start]:02x})", path=path,
                             line=lineno, hint="remove that line and resume") from exc
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"corrupt record: {exc.msg}", path=path, line=lineno,
                             hint="remove that line and resume") from exc


def _trim_partial_tail(path: Path) -> bool:
    """Cut a last line that has no newline (a write interrupted by kill -9). True if something was cut.
    Only a writer holding the run's lock calls this."""
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
                os.fsync(fh.fileno())
                return True
            pos -= step
        fh.truncate(0)
        os.fsync(fh.fileno())
        return True


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` (``os.write`` may take fewer than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (where the platform can open a directory)."""
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_RESUMING = ("start a run", "resume it")


def write_failed(path: Path, exc: OSError, doing: str = "start a run") -> RunStoreError:
    """The one-line error for an OSError while writing ``path``; ``doing`` (what the writer was doing: a run,
    a resume, a rescore, a report) picks the advice."""
    why = exc.strerror or type(exc).__name__
    then = "finish with --resume" if doing in _RESUMING else "run the command again"
    return RunStoreError(f"{path}: cannot write the run: {why} (what was stored is kept; free the space or fix "
                         f"the permission, then {then})", path=path)


class RunLock:
    """The run's lock file, held with ``flock`` (``msvcrt.locking`` on Windows) while a process writes it.

    A lock taken through one open file: two writers in one process are refused like two processes.
    """

    def __init__(self, root: Path, fd: int, doing: str = "start a run") -> None:
        self.root = root
        self.doing = doing
        """What the writer holding it does ("start a run", "resume it", "rescore it", "write its reports")."""
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, root: Path, doing: str) -> RunLock:
        """Take ``root``'s lock or raise :class:`RunStoreError` naming who holds it; ``doing`` says what for."""
        path = root / LOCK
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise write_failed(path, exc, doing) from exc
        try:
            _lock(fd)
        except OSError:
            holder = _holder(fd)
            os.close(fd)
            raise RunStoreError(f"{root}: the run is being written by another examqa writer{holder}; cannot "
                                f"{doing} until it ends (or choose another --out)", path=root) from None
        try:
            os.ftruncate(fd, 0)
            _write_all(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "doing": doing,
                                       "since": datetime.now(UTC).isoformat(timespec="seconds")}).encode())
        except OSError as exc:
            os.close(fd)
            raise write_failed(path, exc, doing) from exc
        return cls(root, fd, doing)

    def release(self) -> None:
        """Let go of the lock (closing the file releases it)."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    @property
    def held(self) -> bool:
        """Whether this handle still holds the lock."""
        return self._fd is not None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit the process's end lets go of it anyway
            self.release()


def _lock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _holder(fd: int) -> str:
    """" (pid 123 on host, resuming since …)", from what the holder wrote into the lock file."""
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}") if hasattr(os, "pread") else {}
    except (OSError, ValueError):
        return ""
    if not isinstance(info, dict) or "pid" not in info:
        return ""
    doing, since = info.get("doing", "writing"), info.get("since", "?")
    return f" (pid {info['pid']} on {info.get('host', '?')}, to {doing}, since {since})"


def writer_of(root: Path) -> str | None:
    """Who is writing the run in ``root`` now ("pid 123 on host, resuming it since …"), or None when no
    process holds its lock. Reads only: the lock is tried on a read-only handle and let go at once."""
    try:
        fd = os.open(root / LOCK, os.O_RDONLY)
    except OSError:
        return None  # no lock file: no writer (a run from before 0.3, or one never written)
    try:
        try:
            _lock(fd)
        except OSError:
            return _holder(fd).strip(" ()") or "another examqa process"
        return None
    finally:
        os.close(fd)  # closing lets go of a lock just taken


def _only_leftovers(root: Path) -> bool:
    """An existing directory a new run may use: empty, or holding only a lock and temporary files."""
    return all(p.name == LOCK or (p.name.startswith(".") and p.name.endswith(".tmp")) for p in root.iterdir())


class RunStore:
    """An open run directory: :meth:`create` a new run or :meth:`open` one to resume or rescore (both hold
    its lock until :meth:`close`), or :meth:`read` one (no lock, nothing modified)."""

    def __init__(self, root: Path, manifest: RunManifest, lock: RunLock | None = None) -> None:
        self.root = root
        self.manifest = manifest
        self.trimmed = False
        self._lock = lock

    # ------------------------------------------------------------------ opening

    @classmethod
    def create(cls, root: Path, config: dict[str, Any], runtime: dict[str, Any], version: str, *,
               unique: bool = False) -> RunStore:
        """Start a new run in ``root``, created exclusively (or an empty directory), and hold its lock.

        ``unique`` (a default directory name, not one the user gave): when ``root`` exists, the next free
        ``root-2``, ``root-3`` … is used instead, so two runs started in the same second never share one.
        """
        root = cls._make_dir(root, unique)
        lock = RunLock.acquire(root, "start a run")
        try:
            if not _only_leftovers(root):  # checked again under the lock: another writer may have won
                raise InputError(f"run directory {root} already holds a run",
                                 hint="add --resume to finish it, or choose another --out")
            manifest = RunManifest(examqa_version=version, created=datetime.now(UTC).isoformat(timespec="seconds"),
                                   config=config, runtime=runtime)
            store = cls(root, manifest, lock)
            store._write_atomic(MANIFEST, manifest.model_dump_json(indent=2))
            store._touch(SAMPLES)
        except BaseException:
            lock.release()
            raise
        return store

    @staticmethod
    def _make_dir(root: Path, unique: bool) -> Path:
        try:
            root.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_failed(root.parent, exc) from exc
        for n in range(1, 1000):
            candidate = root if n == 1 else root.with_name(f"{root.name}-{n}")
            try:
                candidate.mkdir()
                return candidate
            except FileExistsError:
                if not unique:
                    RunStore.ensure_new(candidate)  # an empty directory the user made is fine
                    return candidate
            except OSError as exc:
                raise write_failed(candidate, exc) from exc
        raise RunStoreError(f"{root}: 999 runs of that name already; choose --out", path=root)

    @staticmethod
    def ensure_new(root: Path) -> None:
        """Refuse a ``root`` that already holds something: a run is never overwritten."""
        if root.exists() and (not root.is_dir() or not _only_leftovers(root)):
            raise InputError(f"run directory {root} already holds a run",
                             hint="add --resume to finish it, or choose another --out")

    @classmethod
    def open(cls, root: Path, doing: str = "resume it") -> RunStore:
        """Open an existing run to write it (resume, rescore): take its lock and trim a partial last line
        that a killed writer left."""
        manifest = cls._manifest(root)
        lock = RunLock.acquire(root, doing)
        try:
            store = cls(root, manifest, lock)
            store.trimmed = _trim_partial_tail(root / SAMPLES) | _trim_partial_tail(root / ERRORS)
        except OSError as exc:
            lock.release()
            raise write_failed(root / SAMPLES, exc, doing) from exc
        except BaseException:
            lock.release()
            raise
        return store

    @classmethod
    def read(cls, root: Path) -> RunStore:
        """Open an existing run to read it: no lock, nothing written (a run being written can be read)."""
        return cls(root, cls._manifest(root))

    @staticmethod
    def _manifest(root: Path) -> RunManifest:
        path = root / MANIFEST
        if not path.is_file():
            raise InputError(f"{root} is not an examqa run directory (no {MANIFEST})",
                             hint="pass the folder given to --out")
        try:
            return RunManifest.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            raise InputError(f"unreadable manifest: {exc.errors()[0]['msg']}", path=path) from exc

    @property
    def writable(self) -> bool:
        """Whether this handle holds the run's lock (created or opened, not yet closed)."""
        return self._lock is not None and self._lock.held

    def close(self) -> None:
        """Release the run's lock (a reader has none)."""
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _doing(self) -> str:
        return self._lock.doing if self._lock is not None else "start a run"

    def _writer(self) -> None:
        if not self.writable:
            raise RunStoreError(f"{self.root}: this run was opened for reading; open it to write "
                                "(RunStore.open) first", path=self.root)

    def config_diffs(self, config: dict[str, Any]) -> list[str]:
        """How ``config`` differs from the stored one, field by field (``sampling.temperature: 0.6 → 0.0``)."""
        return _config_diff(self.manifest.config, config)

    def hold(self, doing: str) -> RunStore:
        """Take the run's lock on a handle opened by :meth:`read`, to write derived files (reports) without
        trimming anything; a context manager that lets go of it. Refused while another process writes."""
        if not self.writable:
            self._lock = RunLock.acquire(self.root, doing)
        return self

    def check_resume(self, config: dict[str, Any], runtime: dict[str, Any]) -> None:
        """Refuse to resume with a different configuration; record the new runtime settings."""
        self.refuse_resume(self.config_diffs(config))
        self.record_runtime(runtime)

    def refuse_resume(self, diffs: list[str]) -> None:
        """Raise :class:`~examqa.errors.RunConfigMismatch` naming the first ``diffs`` (how the configuration
        differs) if there are any."""
        if diffs:
            raise RunConfigMismatch(
                f"cannot resume {self.root}: the configuration differs ({'; '.join(diffs[:4])}"
                + (" …" if len(diffs) > 4 else "") + ") — rerun with the original options or use a new --out")

    def record_runtime(self, runtime: dict[str, Any]) -> None:
        """Replace the manifest's ``runtime`` (settings that may change between resumes).

        The backend's events (``backend_events``) are a log of the whole run: they are kept.
        """
        events = self.manifest.runtime.get(BACKEND_EVENTS)
        if events and BACKEND_EVENTS not in runtime:
            runtime = {**runtime, BACKEND_EVENTS: events}
        self.manifest = self.manifest.model_copy(update={"runtime": runtime})
        self._write_atomic(MANIFEST, self.manifest.model_dump_json(indent=2))

    def record_events(self, events: list[dict[str, Any]]) -> None:
        """Append what the backend reported mid-run (a batch halved after an out-of-memory, the batch
        size ``auto`` found) to the manifest's ``runtime.backend_events``."""
        runtime = dict(self.manifest.runtime)
        runtime[BACKEND_EVENTS] = [*runtime.get(BACKEND_EVENTS, []), *events]
        self.record_runtime(runtime)

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
        """Write one record durably: a whole line, fsynced before returning. A write that fails (a full
        disk) is cut back, so no partial line is left, and raised as :class:`RunStoreError`."""
        self._writer()
        path = self.root / (ERRORS if record.outcome == "error" else SAMPLES)
        data = (record.model_dump_json() + "\n").encode("utf-8")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise write_failed(path, exc, self._doing()) from exc
        try:
            size = os.fstat(fd).st_size
            try:
                _write_all(fd, data)
                os.fsync(fd)
            except OSError as exc:
                with contextlib.suppress(OSError):  # else the next writer's open trims it
                    os.ftruncate(fd, size)  # no partial line for the next append to glue onto
                raise write_failed(path, exc, self._doing()) from exc
        finally:
            os.close(fd)

    def replace_samples(self, records: list[SampleRecord]) -> None:
        """Replace samples.jsonl atomically (``rescore`` re-parses stored outputs): a temporary file,
        fsynced, renamed over it, the directory fsynced — under the run's lock."""
        self._write_atomic(SAMPLES, "".join(r.model_dump_json() + "\n" for r in records))

    rewrite_samples = replace_samples  # the 0.2 name

    # ------------------------------------------------------------------ reports

    def write_text(self, name: str, text: str) -> Path:
        """Write a report file atomically; returns its path."""
        return self._write_atomic(name, text)

    def _touch(self, name: str) -> None:
        path = self.root / name
        try:
            path.touch()
        except OSError as exc:
            raise write_failed(path, exc, self._doing()) from exc

    def _write_atomic(self, name: str, text: str) -> Path:
        self._writer()
        target = self.root / name
        tmp = target.with_name(f".{name}.tmp")
        try:
            with tmp.open("wb") as fh:
                fh.write(text.encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            _fsync_dir(self.root)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise write_failed(target, exc, self._doing()) from exc
        return target
