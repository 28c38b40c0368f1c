"""The training log: train_log.jsonl, TensorBoard event files that
TensorBoard's own reader parses, and the figure of the loss terms."""

import json
import logging

import numpy as np
from tensorboard.backend.event_processing import event_accumulator

from experiments import train_log


def test_a_tiny_run_writes_event_files_that_tensorboard_reads(tiny_run):
  workdir, _ = tiny_run
  rows = [json.loads(line) for line in
          (workdir / 'train_log.jsonl').read_text().splitlines()]
  assert {r['phase'] for r in rows} == {'joint', 'marginal'}
  (run,) = (workdir / 'tensorboard').iterdir()  # one model, no wrapper
  assert run.name == rows[0]['model'] == 'lam0_seed0'
  events = event_accumulator.EventAccumulator(str(run))
  events.Reload()
  tags = set(events.Tags()['scalars'])
  for row in rows:
    for name, value in row.items():
      if not name.startswith('train/'):
        continue
      tag = f"{row['phase']}/{name.removeprefix('train/')}"
      assert tag in tags, (tag, sorted(tags))
      (event,) = [e for e in events.Scalars(tag) if e.step == row['step']]
      # TensorBoard keeps scalars in float32.
      assert event.value == np.float32(value), tag
  assert {'joint/loss', 'joint/kl/z', 'marginal/kl/z_x', 'marginal/rec/y',
          'joint/steps_per_sec'} <= tags


def _row(phase, step, model, loss):
  return {'phase': phase, 'step': step, 'model': model, 'steps_per_sec': 10.0,
          'train/loss': loss, 'train/kl/z': 0.5, 'train/kl/u': 0.0}


def test_a_step_logged_twice_keeps_its_last_row_and_the_figure_draws_each_phase(
    tmp_path):
  with train_log.TrainLog(str(tmp_path)) as log:
    # A run killed after step 20 and resumed from its checkpoint of step 10.
    for step, loss in ((10, 9.0), (20, 8.0), (20, 7.5), (30, 7.0)):
      log(_row('joint', step, 'lam1_seed0', loss))
    log(_row('joint', 10, 'lam2_seed0', 100.0))  # another model of the stack
    log(_row('marginal', 5, 'lam1_seed0', 3.0))
    log(_row('autoencoder', 5, 'lam1_seed0', 1.0))  # not one of the model's
  logged = train_log.read_rows(log.path, ['joint', 'marginal'])
  rows = logged['lam1_seed0']
  assert list(rows) == ['joint', 'marginal']
  assert [(r['step'], r['loss']) for r in rows['joint']] == [(10, 9.0), (20, 7.5),
                                                             (30, 7.0)]
  assert rows['marginal'] == [{'step': 5, 'steps_per_sec': 10.0, 'loss': 3.0,
                               'kl/z': 0.5, 'kl/u': 0.0}]
  figure = tmp_path / 'figures' / 'training_curves.png'
  assert train_log.write_training_curves(rows, str(figure))
  assert figure.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
  assert train_log.write_training_curves(logged.get('lam3_seed0', {}),
                                         str(tmp_path / 'none.png')) is None
  # Each model is its own TensorBoard run.
  assert sorted(p.name for p in (tmp_path / 'tensorboard').iterdir()) == [
      'lam1_seed0', 'lam2_seed0']


def test_a_judges_progress_speaks_every_interval_in_the_runs_words(
    monkeypatch, caplog):
  clock = iter([100.0, 105.0, 112.0, 118.0, 125.0])  # start, then each call
  monkeypatch.setattr(train_log.time, 'monotonic', lambda: next(clock))
  with caplog.at_level(logging.INFO):
    progress = train_log.Progress('judge: the classifier', 200, every=10.0)
    for done in (10, 24, 40, 200):  # at 105 s, 112 s, 118 s, 125 s
      progress(done)
  lines = [r.getMessage() for r in caplog.records]
  # 112 s: 12 s after the start, 24 steps, 2 steps/s, 176 left: 88 s. 105 s
  # and 118 s fall within 10 s of the last line; the last step says nothing.
  assert lines == ['judge: the classifier: 200 steps',
                   'judge: the classifier: step 24/200, 2.0 steps/s, ETA 1m28s']
