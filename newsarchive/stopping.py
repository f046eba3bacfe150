"""Stops that always work: Ctrl-C and SIGTERM, to a command or to its whole process
group, and the processes behind runs (issue 9).

A terminal's Ctrl-C goes to every process of the foreground group: the crawl, its
extraction workers and multiprocessing's forkserver, ingest's reader process. Left to
Python's defaults, every extraction worker raises KeyboardInterrupt. One busy with a
page hands it back to the crawl as that page's result, and asyncio re-raises it out of
the event loop, past Scrapy's graceful shutdown: click prints "Aborted!", the run is
never finished, and at exit the interpreter waits for ever on Twisted's thread pool
while Scrapy's SIGTERM handler schedules work on a reactor that no longer runs. Idle
ones die: the pool breaks, the pages in hand fail with tracebacks, and the graceful
stop may wait for ever on results that never come. Hence:

* helper processes never act on these signals (:func:`ignore_stop_signals`,
  :func:`start_forkserver`, :func:`worker_initializer`) and leave when their parent is
  gone; the parent stops them;
* the parent owns the stop (:class:`StopSignals`): the first signal asks for a graceful
  stop (the work in hand is finished and committed, the run is recorded
  "interrupted"); a second signal, or :data:`GRACE_SECONDS` without an end, stops hard:
  the hard-stop callbacks mark the run "interrupted" with the counts already committed,
  helper processes are killed and the process exits at once;
* the exit status is 128 + the signal's number, as a shell reports a process killed by
  it: 130 for SIGINT, 143 for SIGTERM.

Also here: who runs a run (:func:`this_process`) and whether that process still lives
(:func:`process_alive`), so the archive can tell a dead run from a running one.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# From the first signal to the hard stop: long enough for the pages in hand and the last
# batch, short enough that a stop takes under 10 s in all (a hard stop waits at most
# HARD_STOP_DB_WAIT for the archive).
GRACE_SECONDS = 5.0
HARD_STOP_DB_WAIT = 2.0


def exit_status(signum: int) -> int:
    """The exit status of a command stopped by ``signum``: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + signum


# --- helper processes --------------------------------------------------------------------


def ignore_stop_signals() -> None:
    """In a helper process: leave SIGINT and SIGTERM to the parent, which stops us."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def worker_initializer(parent: int) -> None:
    """``initializer`` of a process pool: ignore the stop signals, and exit once
    ``parent`` is gone (a worker blocked on the pool's queue would wait for ever after a
    kill -9 of the crawl, and keep the forkserver alive with it)."""
    ignore_stop_signals()
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:  # pragma: no cover - runs in pool workers
    while process_alive(parent):
        time.sleep(1.0)
    os._exit(0)


def start_forkserver() -> None:
    """Start multiprocessing's forkserver now (if it is not running) with SIGINT and
    SIGTERM blocked, so it and the pool workers it forks inherit the mask. The
    forkserver ignores SIGINT but not SIGTERM, and a pool forks its workers lazily: a
    SIGTERM to the group would kill it and the next worker could not be started while
    the crawl finishes the pages in hand. A signal to this process meanwhile is held,
    not lost."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        return
    from multiprocessing import forkserver, resource_tracker

    # The resource tracker first: starting it unblocks both signals (bpo-33613).
    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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


def _pid_namespace() -> str:
    """This process's pid namespace ("pid:[4026531836]"; "" where unknown): containers
    on one host share its boot id and may share a host name, not their pids."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""


def start_token(pid: int) -> str | None:
    """Which process ``pid`` is: the boot, the pid namespace it is numbered in and its
    start tick (from /proc), so a pid reused by another process is not taken for the one
    that had it; None where /proc cannot say."""
    fields = _proc_stat(pid)
    boot = _boot_id()
    if not fields or len(fields) < 20 or boot is None:
        return None
    return f"{boot}/{_pid_namespace()}/{fields[19]}"  # field 22, starttime (proc(5))


def this_process() -> tuple[int, str, str | None]:
    """(pid, host, start token) of this process, as a run records them."""
    pid = os.getpid()
    return pid, socket.gethostname(), start_token(pid)


def process_alive(pid: int, token: str | None = None) -> bool:
    """Whether process ``pid`` of this host still runs (a zombie does not), and is the
    one that started at ``token`` when that is known. A process of another pid
    namespace (another container) cannot be seen from here: it is taken as alive."""
    if token and token.count("/") == 2 and token.split("/")[1] != _pid_namespace():
        return True
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


# --- the stop ----------------------------------------------------------------------------


class StopSignals:
    """SIGINT and SIGTERM handling for one command (see the module's docstring).

    ``install()`` it in the main thread; the work checks :attr:`requested` (or is told
    through :meth:`on_stop`), and the command exits with :attr:`exit_status`. With
    ``hard_on_second`` false, a second signal does not stop hard (the scheduler passes
    it on to its crawls instead, see :attr:`count`); the deadline still does."""

    def __init__(self, grace: float = GRACE_SECONDS, *, hard_on_second: bool = True):
        self.grace = grace
        self.hard_on_second = hard_on_second
        self.signum: int | None = None
        self.count = 0
        self._on_stop: list[Callable[[], None]] = []
        self._on_hard_stop: list[Callable[[], None]] = []
        self._previous: dict[int, object] = {}
        self._wake: tuple[int, int] | None = None
        self._watchdog: threading.Thread | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def exit_status(self) -> int:
        return exit_status(self.signum or signal.SIGINT)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum or signal.SIGINT).name

    def install(self) -> StopSignals:
        """Take over SIGINT and SIGTERM (a no-op outside the main thread, where Python
        cannot set handlers)."""
        if threading.current_thread() is not threading.main_thread():
            return self
        self._wake = os.pipe()
        for fd in self._wake:
            os.set_blocking(fd, False)
        self._watchdog = threading.Thread(target=self._watch, name="stop-watchdog", daemon=True)
        self._watchdog.start()
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def uninstall(self) -> None:
        """Give the signals back. Once a stop was asked, the deadline keeps running: the
        process must still end within it, however its exit goes."""
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous = {}
        if self._wake is not None and not self.requested:
            os.write(self._wake[1], b"q")

    def __enter__(self) -> StopSignals:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` at the first signal, in the main thread from the signal
        handler (so: only schedule work, e.g. ``reactor.callFromThread``); at once if a
        stop was asked already."""
        self._on_stop.append(callback)
        if self.requested:
            callback()

    def on_hard_stop(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` before a hard stop's exit, from the watchdog thread: it
        must not need the main thread (open its own database connection)."""
        self._on_hard_stop.append(callback)

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, returning early (True) once a stop was asked."""
        end = time.monotonic() + seconds
        while not self.requested and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.2))
        return self.requested

    def _handle(self, signum: int, frame: object) -> None:
        # Python runs this in the main thread between two bytecodes: nothing here may
        # block or log (the interrupted code may hold the stream's lock).
        self.count += 1
        first = self.signum is None
        if first:
            self.signum = signum
        if self._wake is not None:
            with contextlib.suppress(OSError):
                os.write(self._wake[1], b"s")
        if first:
            for callback in self._on_stop:
                callback()

    def _watch(self) -> None:
        assert self._wake is not None
        wake_r = self._wake[0]
        while (message := self._read(wake_r, None)) not in ("s", "q"):
            pass
        if message == "q":
            self._close()
            return
        log.warning(
            "%s: stopping once the work in hand is saved (at most %.0f s); %s again stops at once",
            self.name,
            self.grace,
            "Ctrl-C" if self.signum == signal.SIGINT else self.name,
        )
        deadline = time.monotonic() + self.grace
        while (left := deadline - time.monotonic()) > 0:
            if self._read(wake_r, left) == "s" and self.hard_on_second and self.count > 1:
                log.warning("%s again: stopping at once", self.name)
                break
        else:
            log.warning("not stopped within %.0f s: stopping at once", self.grace)
        self.hard_stop()

    @staticmethod
    def _read(fd: int, timeout: float | None) -> str:
        """Wait up to ``timeout`` for the pipe; its last message ("s" signal, "q" quit)."""
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return ""
        try:
            data = os.read(fd, 64)
        except BlockingIOError:
            return ""
        return "q" if b"q" in data else data.decode()[-1:] if data else ""

    def _close(self) -> None:
        if self._wake is not None:
            for fd in self._wake:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._wake = None

    def hard_stop(self) -> None:
        """Run the hard-stop callbacks (for HARD_STOP_DB_WAIT and a second at most),
        kill our helper processes, exit now."""
        callbacks = threading.Thread(target=self._hard_stop_callbacks, daemon=True)
        callbacks.start()
        callbacks.join(HARD_STOP_DB_WAIT + 1.0)
        for child in multiprocessing.active_children():
            with contextlib.suppress(Exception):
                child.kill()
        os._exit(self.exit_status)

    def _hard_stop_callbacks(self) -> None:
        for callback in self._on_hard_stop:
            try:
                callback()
            except Exception as exc:  # the exit must happen whatever failed
                log.warning("while stopping: %s", exc)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
