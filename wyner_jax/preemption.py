"""Pre-emption: SIGTERM or SIGINT during training saves a checkpoint, then stops.

Inside `stop_on_signals()` the two signals only set a flag; the training loop
checks it after each step, saves the state of that step and raises Preempted,
which the launchers turn into a non-zero exit (128 + the signal number). Only
single-process runs do this: a checkpoint save is collective, so one process
saving alone would wait forever; multi-process runs resume from their last
periodic checkpoint.
"""

import contextlib
import signal
import threading
from collections.abc import Iterator

import jax

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Preempted(Exception):
  """Training stopped on a signal after saving a checkpoint."""

  def __init__(self, signum: int, message: str):
    super().__init__(message)
    self.signum = signum


class StopRequest:
  """The signal received inside `stop_on_signals`, or None."""
  signum: int | None = None


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
  """Inside, SIGTERM and SIGINT set `request.signum` instead of stopping."""
  request = StopRequest()
  if (threading.current_thread() is not threading.main_thread()
      or jax.process_count() > 1):
    yield request  # signal handlers can be set in the main thread only
    return

  def handler(signum, frame):
    del frame
    request.signum = signum

  previous = {s: signal.signal(s, handler) for s in SIGNALS}
  try:
    yield request
  finally:
    for s, old in previous.items():
      signal.signal(s, old)
