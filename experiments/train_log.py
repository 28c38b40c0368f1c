"""What a run records while it trains, and the figure of it.

Every logged row (phase, step, model, steps/s and the train metrics of that
step, `wyner_jax.train`) is appended to WORKDIR/train_log.jsonl and, where
TensorBoard is installed (the `tensorboard` extra; its own event-file writer,
no TensorFlow), written as scalars to WORKDIR/tensorboard/<run>/, one
TensorBoard run per model (the wrapper's autoencoders: `autoencoder`), tags
`<phase>/<metric>` (`joint/loss`, `marginal/kl/z`, ...):

    tensorboard --logdir WORKDIR/tensorboard

After training, `write_training_curves` draws each model's loss terms over
steps from train_log.jsonl (figures/training_curves.png).
"""

import json
import os
import time
from typing import Any

from absl import logging

from experiments import plots
from wyner_jax import train

LOG_NAME = 'train_log.jsonl'
EVENTS_DIR = 'tensorboard'
# The loss terms a figure shows, those of a phase that has them.
TERMS = ('loss', 'kl/z', 'kl/z_x', 'kl/z_y', 'kl/u', 'kl/v', 'rec/x', 'rec/y',
         'rec')

try:
  from tensorboard.compat.proto import event_pb2
  from tensorboard.compat.proto import summary_pb2
  from tensorboard.summary.writer.event_file_writer import EventFileWriter
except ImportError:  # the tensorboard extra is optional
  EventFileWriter = None


class TrainLog:
  """The `log` of `wyner_jax.train.train_phases`: appends each row to the
  workdir's train_log.jsonl and, with TensorBoard installed, to its event
  files. Close it (or use it as a context manager) so that the event files
  are complete.

  Attributes:
    path: the train_log.jsonl it appends to.
  """

  def __init__(self, workdir: str, run: str | None = None):
    """Args: run: the TensorBoard run of every row; None: each row's model."""
    self.path = os.path.join(workdir, LOG_NAME)
    self._events_dir = os.path.join(workdir, EVENTS_DIR)
    self._run = run
    self._writers: dict[str, Any] = {}
    if EventFileWriter is None:  # said once, not for every log of a run
      logging.log_first_n(logging.INFO, 'TensorBoard is not installed (pip '
                          "install 'wyner_jax[tensorboard]'): the training log "
                          'goes to %s only', 1, self.path)

  def __call__(self, row: dict[str, Any]) -> None:
    with open(self.path, 'a') as f:
      f.write(json.dumps(row) + '\n')
    if EventFileWriter is not None:
      self._write_event(row)

  def _write_event(self, row: dict[str, Any]) -> None:
    run = self._run or row['model']
    if run not in self._writers:
      self._writers[run] = EventFileWriter(os.path.join(self._events_dir, run))
    values = [summary_pb2.Summary.Value(tag=f"{row['phase']}/{name}",
                                        simple_value=value)
              for name, value in _scalars(row).items()]
    writer = self._writers[run]
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=row['step'],
                                     summary=summary_pb2.Summary(value=values)))
    writer.flush()  # rows are seconds apart: visible in TensorBoard at once

  def close(self) -> None:
    for writer in self._writers.values():
      writer.close()
    self._writers.clear()

  def __enter__(self) -> 'TrainLog':
    return self

  def __exit__(self, *exc) -> None:
    self.close()


def _scalars(row: dict[str, Any]) -> dict[str, float]:
  """The row's numbers by metric name: `train/kl/z` -> `kl/z`."""
  scalars = {'steps_per_sec': float(row['steps_per_sec'])}
  scalars.update({name.removeprefix('train/'): float(value)
                  for name, value in row.items() if name.startswith('train/')})
  return scalars


def read_rows(path: str, phases: list[str]
              ) -> dict[str, dict[str, list[dict[str, float]]]]:
  """The log's rows of `phases`, per model and phase (in `phases`' order),
  by step; a step logged twice (a run resumed from an earlier checkpoint)
  keeps its last row. One read for every model of a run.

  Returns:
    {model: {phase: [{'step': step, metric: value, ...}, ...]}}, phases
    without rows left out.
  """
  by_step: dict[str, dict[str, dict[int, dict[str, float]]]] = {}
  if os.path.exists(path):
    with open(path) as f:
      for line in f:
        row = json.loads(line)
        if row['phase'] in phases:
          steps = by_step.setdefault(row['model'], {}).setdefault(
              row['phase'], {})
          steps[row['step']] = {'step': row['step'], **_scalars(row)}
  return {model: {phase: [steps[s] for s in sorted(steps)]
                  for phase in phases if (steps := logged.get(phase))}
          for model, logged in by_step.items()}


def write_training_curves(rows: dict[str, list[dict[str, float]]],
                          path: str) -> str | None:
  """Draws one model's loss terms over steps ({phase: rows}, `read_rows`),
  one panel per phase, to `path`; None (nothing written) without rows."""
  if not rows:
    return None
  plots.training_curves(path, rows, TERMS)
  return path


class Progress:
  """Says how far a loop outside the training phases has come (a judge's
  training): 'WHAT: step i/N, ETA ...' at most once every `every` seconds,
  so that no part of a run is minutes of silence."""

  def __init__(self, what: str, total: int, every: float = 10.0):
    self.what, self.total, self.every = what, total, every
    self.start = self.last = time.monotonic()
    logging.info('%s: %d steps', what, total)

  def __call__(self, done: int) -> None:
    now = time.monotonic()
    if now - self.last < self.every or done >= self.total:
      return
    self.last = now
    rate = done / max(now - self.start, 1e-9)
    # The training phases' words for the time left ('ETA 1m05s').
    logging.info('%s: step %d/%d, %.1f steps/s, %s', self.what, done,
                 self.total, rate, train.eta_text(done, self.total, rate))
