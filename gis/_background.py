"""Work handed to a forked child process while this one goes on.

``Background``: the child inherits everything built so far, so nothing large
is pickled; only the result (or the exception) comes back through a pipe.
Used by the exports to write the GeoPackage while the GeoJSON and CSV files
are written, and for large mentions files.

``Awaiting``: the child is forked before its input exists, prepares what
does not depend on it (imports, fonts, base layers) while this process makes
the input, then gets the input through a pipe (pickled) and runs. Used by
the pipeline to draw the briefing: its set-up overlaps the reading of the
documents on the second core.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from typing import Any

from gis._errors import PlanmapError

__all__ = ["Awaiting", "Background"]


def _send_result(conn: Any, func: Any, args: tuple[Any, ...]) -> None:
    """Run ``func(*args)`` in a forked child and send ``(ok, value or exception)`` back."""
    try:
        outcome: tuple[bool, Any] = (True, func(*args))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        outcome = (False, exc)
    _send_outcome(conn, outcome)


def _send_outcome(conn: Any, outcome: tuple[bool, Any]) -> None:
    """Send ``(ok, value or exception)`` to the parent, then close the pipe."""
    try:
        conn.send(outcome)
    except Exception as exc:  # noqa: BLE001 - an exception that does not pickle
        conn.send((False, PlanmapError(f"{outcome[1]!r} ({exc})")))
    finally:
        conn.close()


class Background:
    """``func(*args)`` in a forked child process, its result collected later.

    The child inherits everything built so far (no pickling of the layers);
    only its result (a list of paths) or its exception comes back through a
    pipe. Without ``fork`` (or with ``fork=False``) ``func`` runs here, at
    once.

    Parameters
    ----------
    func : callable
        What to run.
    *args
        Its arguments.
    fork : bool
        Run in a child process when the platform can fork.
    what : str
        What the work makes, for the message when the child dies without a result.
    """

    def __init__(self, func: Any, *args: Any, fork: bool = True, what: str = "background") -> None:
        import multiprocessing

        self._process = None
        self._what = what
        self._outcome: tuple[bool, Any] | None = None
        if not fork or "fork" not in multiprocessing.get_all_start_methods():
            try:
                self._outcome = (True, func(*args))
            except Exception as exc:  # noqa: BLE001 - raised again by ``result``
                self._outcome = (False, exc)
            return
        context = multiprocessing.get_context("fork")
        self._conn, child_end = context.Pipe(duplex=False)
        for handler in logging.getLogger().handlers:
            handler.flush()
        self._process = context.Process(
            target=_send_result, args=(child_end, func, args), name=f"planmap-{what}"
        )
        self._process.start()
        child_end.close()

    def result(self) -> Any:
        """Wait for ``func`` to end; return its value or raise its exception."""
        if self._outcome is None and self._process is not None:
            self._outcome = _receive(self._conn, self._process, self._what)
        assert self._outcome is not None
        return _value(self._outcome)


def _receive(conn: Any, process: Any, what: str) -> tuple[bool, Any]:
    """The child's ``(ok, value or exception)``; an error when it ended without sending one."""
    outcome = None
    try:
        outcome = conn.recv()
    except EOFError:
        pass
    finally:
        conn.close()
        process.join()
    if outcome is None:
        outcome = (False, PlanmapError(
            f"the process writing the {what} ended without a result (exit code "
            f"{process.exitcode}); run the build again, with -v to see its error"
        ))
    return outcome


def _value(outcome: tuple[bool, Any]) -> Any:
    ok, value = outcome
    if not ok:
        raise value
    return value


def _prepare_then_run(inbox: Any, parents_end: Any, conn: Any, prepare: Any, func: Any) -> None:
    """In the forked child: ``prepare()``, wait for the input, send ``func(*input)`` back.

    A failure of ``prepare`` is kept and sent once the input comes, as the
    failure of the whole; when the parent closes its end without sending
    (its own build failed), the child ends quietly.
    """
    parents_end.close()  # or the child would never see the end of the input
    failure: BaseException | None = None
    try:
        prepare()
    except BaseException as exc:  # noqa: BLE001 - sent back with the input's answer
        failure = exc
    try:
        args = inbox.recv()
    except (EOFError, OSError):
        conn.close()
        return
    except BaseException as exc:  # noqa: BLE001 - e.g. Ctrl-C while waiting
        failure = exc
    finally:
        inbox.close()
    if failure is not None:
        _send_outcome(conn, (False, failure))
        return
    _send_result(conn, func, args)


class Awaiting:
    """A forked child that prepares now and runs ``func(*args)`` once given ``args``.

    The child is forked at once (before this process starts any thread), runs
    ``prepare()`` (which fills per-process caches: imports, fonts, reference
    layers) and waits; ``send(*args)`` pickles the input to it (from a thread,
    so this process does not wait for the child to be ready to read), and
    ``result()`` returns ``func(*args)`` or raises its exception, or that of
    ``prepare``. Dropping the object (or ``cancel()``) without sending closes
    the pipe and the child ends. Without ``fork`` (or with ``fork=False``)
    nothing happens until ``send``, which runs ``prepare`` and ``func`` here.

    Parameters
    ----------
    prepare : callable
        Run first in the child, without arguments.
    func : callable
        Run on the input.
    fork : bool
        Run in a child process when the platform can fork.
    what : str
        What the work makes, for the message when the child dies without a result.
    """

    def __init__(self, prepare: Any, func: Any, *, fork: bool = True,
                 what: str = "background") -> None:
        import multiprocessing

        self._prepare = prepare
        self._func = func
        self._what = what
        self._process = None
        self._sender: threading.Thread | None = None
        self._outcome: tuple[bool, Any] | None = None
        if not fork or "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")
        inbox, self._inbox = context.Pipe(duplex=False)
        self._conn, child_end = context.Pipe(duplex=False)
        for handler in logging.getLogger().handlers:
            handler.flush()
        self._process = context.Process(
            target=_prepare_then_run, args=(inbox, self._inbox, child_end, prepare, func),
            name=f"planmap-{what}",
        )
        self._process.start()
        inbox.close()
        child_end.close()
        # dropped without a result (the build failed): close the input, the child ends. Also
        # at exit, before multiprocessing's own exit hook (registered earlier, so run later)
        # joins the child, which would otherwise wait for its input forever
        self._sent = [False]  # shared with the finalizer
        self._finalizer = weakref.finalize(
            self, Awaiting._close, self._inbox, self._conn, self._process, self._sent)
        atexit.register(self._finalizer)

    @staticmethod
    def _close(inbox: Any, conn: Any, process: Any, sent: list[bool]) -> None:
        inbox.close()
        conn.close()
        if sent[0]:
            process.join()
        # else never given its input (the build failed first): not waited for. It ends by
        # itself when its preparing is done (it then finds no input); it is not killed,
        # as it may hold a lock of a library's cache (matplotlib's font list) meanwhile

    def send(self, *args: Any) -> None:
        """Hand the input to the child (or, without a child, run the work here now)."""
        if self._process is None:
            if self._outcome is None:
                try:
                    self._prepare()
                    self._outcome = (True, self._func(*args))
                except Exception as exc:  # noqa: BLE001 - raised again by ``result``
                    self._outcome = (False, exc)
            return
        import pickle

        self._sent[0] = True
        payload = pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
        # written from a thread: a pipe holds 64 kB, and the child may still be preparing
        self._sender = threading.Thread(
            target=self._write, args=(payload,), name=f"planmap-{self._what}-input", daemon=True)
        self._sender.start()

    def _write(self, payload: bytes) -> None:
        try:
            self._inbox.send_bytes(payload)
        except OSError:  # the child is gone; ``result`` says so
            pass
        finally:
            self._inbox.close()

    def cancel(self) -> None:
        """Tell the child there will be no input (it ends); ``result`` then raises."""
        if self._process is not None and self._sender is None:
            self._inbox.close()

    def result(self) -> Any:
        """Wait for the work to end; return its value or raise its exception."""
        if self._outcome is None and self._process is not None:
            if self._sender is None:
                self.cancel()
            try:
                self._outcome = _receive(self._conn, self._process, self._what)
            finally:
                if self._sender is not None:
                    self._sender.join()
                atexit.unregister(self._finalizer)
        if self._outcome is None:
            raise PlanmapError(f"the {self._what} was not given its input")
        ok, value = self._outcome
        if not ok and self._process is not None and not isinstance(
                value, (PlanmapError, KeyboardInterrupt, SystemExit)):
            # its traceback stayed in the child: say where it happened
            raise PlanmapError(
                f"the process writing the {self._what} failed: {type(value).__name__}: "
                f"{value}; run the build again, with -v to see its messages") from value
        return _value(self._outcome)
