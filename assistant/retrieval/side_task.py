"""Work a question needs that does not need its vector, run beside the question's encoding.

ONNX Runtime releases the GIL while it encodes the question (the longest step of an ask), so
one helper thread can run pure-Python work meanwhile, such as the BM25 search. Whoever gets to
a task first runs it: the helper if it is free, else the caller itself once the vector is
ready, so a busy or slow-to-wake helper never makes a question wait longer than doing the
work in line would.

A task waits for its ``release`` (the encoder's ``before_forward``) before the helper starts
it: a helper that took the GIL while the caller was still tokenising (the tokenizer lets the
GIL go for a moment) kept it for the whole task, and the encode waited that long
(docs/BENCHMARKS.md, Query latency: 0.5 ms of Python beside an encode made it 0.5 ms longer).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
# Seconds the helper waits for a task's release before starting it anyway (a caller that
# failed before releasing it must not hold up the tasks queued behind).
RELEASE_TIMEOUT = 0.05


class SideTask(Generic[T]):
    """One call, claimed by exactly one thread; ``result`` runs it in line if nobody has."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._work = work
        self._claim = threading.Lock()
        self._done = threading.Event()
        self._released = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None

    def release(self) -> None:
        """Let the helper start it (the caller no longer needs the GIL)."""
        self._released.set()

    def wait_released(self) -> None:
        self._released.wait(RELEASE_TIMEOUT)

    def run(self) -> None:
        if not self._claim.acquire(blocking=False):
            return  # the other thread has it
        try:
            self._value = self._work()
        except BaseException as exc:  # handed to whoever asks for the result
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> T:
        self.run()
        self.release()  # a helper waiting for it moves on (the claim is taken)
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


class SideRunner:
    """One daemon thread taking ``SideTask``s in order (started on first use)."""

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue[SideTask] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self, work: Callable[[], T]) -> SideTask[T]:
        task = SideTask(work)
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._serve, name="side-task", daemon=True
                    )
                    self._thread.start()
        self._tasks.put(task)
        return task

    def _serve(self) -> None:
        while True:
            task = self._tasks.get()
            task.wait_released()
            task.run()


SIDE_TASKS = SideRunner()  # one helper thread for the whole process
