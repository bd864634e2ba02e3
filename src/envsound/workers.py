"""Process pools whose workers never outlive the process that started them.

A ``ProcessPoolExecutor`` worker waits on a pipe that its own process also holds open, so when the
parent is killed (SIGTERM with the default handler, ``kill -9``, an out-of-memory kill) the pipe
never reports end-of-file and the worker waits forever. Every envsound pool starts its workers
with a watcher thread that ends the worker as soon as its parent is gone.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext

PARENT_POLL_SECONDS = 0.25


def _exit_with_parent(parent: int) -> None:
    """Pool initializer: a daemon thread that exits the worker once it has been re-parented
    (portable; Linux's PR_SET_PDEATHSIG would follow the starting *thread*, not the process)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="envsound-parent-watch", daemon=True).start()


def process_pool(max_workers: int, context: BaseContext | None = None) -> ProcessPoolExecutor:
    """A process pool whose workers exit with their parent; shut it down (``with`` or
    ``shutdown``) on a clean exit as usual."""
    return ProcessPoolExecutor(max_workers=max_workers, mp_context=context, initializer=_exit_with_parent, initargs=(os.getpid(),))
