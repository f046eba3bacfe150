"""Which process a run belongs to, and whether that process still lives: a run that
is "running" in the archive while its process is gone was killed (kill -9, a crash) and
never recorded its end (issue 9).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

# --- who runs a run ----------------------------------------------------------------------


def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    return raw[raw.rfind(")") + 2 :].split()


def start_token(pid: int) -> str | None:
    """When process ``pid`` started (boot id and start tick, from /proc), so a pid that
    was reused by another process is not taken for the one that had it; None where
    /proc cannot say."""
    fields = _proc_stat(pid)
    boot = _boot_id()
    if not fields or len(fields) < 20 or boot is None:
        return None
    return f"{boot}/{fields[19]}"  # field 22, starttime (proc(5))


def this_process() -> tuple[int, str, str | None]:
    """(pid, host, start token) of this process, as a run records them."""
    pid = os.getpid()
    return pid, socket.gethostname(), start_token(pid)


def process_alive(pid: int, token: str | None = None) -> bool:
    """Whether process ``pid`` of this host still runs (a zombie does not), and is the
    one that started at ``token`` when that is known."""
    if pid <= 0:
        return False
    fields = _proc_stat(pid)
    if fields is None:
        if Path("/proc/self/stat").exists():
            return False  # /proc works, and has no such process
        try:  # no /proc (not Linux): ask the kernel
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    if fields[0] in ("Z", "X"):
        return False
    return token is None or start_token(pid) in (None, token)
