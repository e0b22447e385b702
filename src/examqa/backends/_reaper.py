"""A watchdog that kills an in-process engine's helper processes when this process dies, even by SIGKILL.

vLLM's in-process engine runs its core (and, on some platforms, its workers) in child processes. When the
parent exits normally the engine shuts them down; when it is killed outright (``kill -9``, the OOM
killer) nothing tells them, and they stay alive holding the GPU. :class:`Reaper` starts a tiny Python
process (no examqa, no vLLM) holding the read end of a pipe whose write end only this process holds.
The kernel closes the write end when this process dies, however it dies; the watchdog then reads
end-of-file and SIGKILLs the processes it was told about, with all their descendants. A clean shutdown
disarms it first. Linux and macOS (``/proc`` or ``ps`` to find descendants); elsewhere it does nothing.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

_WATCHDOG = r"""
import os, signal, subprocess, sys

def children_of():
    table = {}
    if os.path.isdir("/proc"):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                table.setdefault(ppid, []).append(int(entry))
        return table
    try:
        out = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    except OSError:
        return table
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            table.setdefault(int(parts[1]), []).append(int(parts[0]))
    return table

pids, armed, buf = set(), True, b""
with os.fdopen(int(sys.argv[1]), "rb", buffering=0) as pipe:
    while True:
        chunk = pipe.read(4096)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if line == b"disarm":
                armed = False
            elif line == b"arm":
                armed = True
            elif line.strip().isdigit():
                pids.add(int(line))
if armed and pids:
    table = children_of()
    todo, seen = list(pids), set()
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo.extend(table.get(pid, []))
    for pid in seen:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
"""


def child_pids() -> set[int]:
    """The pids of this process's children right now (empty where it cannot tell)."""
    me = os.getpid()
    found: set[int] = set()
    if os.path.isdir("/proc"):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                        if int(fh.read().rsplit(")", 1)[1].split()[1]) == me:
                            found.add(int(entry))
                except (OSError, ValueError, IndexError):
                    continue
        return found
    try:
        out = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True, check=False).stdout
    except OSError:
        return found
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == str(me) and parts[0].isdigit():
            found.add(int(parts[0]))
    return found


class Reaper:
    """Kills the processes given to :meth:`guard` (and their descendants) if this process dies first."""

    def __init__(self) -> None:
        read, write = os.pipe()
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                [sys.executable, "-S", "-c", _WATCHDOG, str(read)], pass_fds=(read,), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        except OSError:
            os.close(write)
            self._proc = None
            self._write = -1
        else:
            self._write = write
        finally:
            os.close(read)
        if self._write >= 0:
            os.set_inheritable(self._write, False)  # children started later must not keep it open

    @property
    def pid(self) -> int | None:
        """The watchdog's pid (not a process to guard)."""
        return self._proc.pid if self._proc is not None else None

    def guard(self, pids: set[int] | list[int]) -> None:
        """Kill these processes (and their descendants) if this process dies without :meth:`close`."""
        mine = {p for p in pids if p != self.pid}
        if self._write >= 0 and mine:
            with contextlib.suppress(OSError):
                os.write(self._write, "".join(f"{p}\n" for p in sorted(mine)).encode())

    def close(self) -> None:
        """Disarm and stop the watchdog (the guarded processes have been shut down properly)."""
        if self._write >= 0:
            with contextlib.suppress(OSError):
                os.write(self._write, b"disarm\n")
            with contextlib.suppress(OSError):
                os.close(self._write)
            self._write = -1
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
            self._proc = None
