"""Work handed to a forked child process while this one goes on (``Background``).

The child inherits everything built so far, so nothing large is pickled; only
the result (or the exception) comes back through a pipe. Used by the
pipeline to draw the briefing while the layers are written, and by the
exports to write the GeoPackage while the GeoJSON and CSV files are written.
"""

from __future__ import annotations

import logging
from typing import Any

from gis._errors import PlanmapError

__all__ = ["Background"]


def _send_result(conn: Any, func: Any, args: tuple[Any, ...]) -> None:
    """Run ``func(*args)`` in a forked child and send ``(ok, value or exception)`` back."""
    try:
        outcome: tuple[bool, Any] = (True, func(*args))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        outcome = (False, exc)
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
            target=_send_result, args=(child_end, func, args), name="planmap-briefing"
        )
        self._process.start()
        child_end.close()

    def result(self) -> Any:
        """Wait for ``func`` to end; return its value or raise its exception."""
        if self._outcome is None and self._process is not None:
            try:
                self._outcome = self._conn.recv()
            except EOFError:
                pass
            finally:
                self._conn.close()
                self._process.join()
            if self._outcome is None:
                self._outcome = (False, PlanmapError(
                    f"the process writing the {self._what} ended without a result (exit code "
                    f"{self._process.exitcode}); run the build again, with -v to see its error"
                ))
        assert self._outcome is not None
        ok, value = self._outcome
        if not ok:
            raise value
        return value
