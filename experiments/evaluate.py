r"""Recomputes a trained workdir's metrics and figures from its checkpoints.

  python -m experiments.evaluate --workdir=/tmp/wyner
  python -m experiments.evaluate --workdir=/tmp/mine --config.data.path=MOVED.npz

Nothing is trained: the run's config is read from WORKDIR/config.json, its
checkpoints must have been trained with it and be finished.
`--config.data.path` replaces the recorded path of your own pairs (a file
moved or renamed; the checkpoints' data checksum must still match). Rewrites
metrics.json and figures/ (a lambda sweep: per model, and results.json,
results.md, lambda_sweep.png). Useful after a metric or a figure changed.
"""

import json
import os

from absl import flags
import ml_collections

from experiments import cli
from experiments import run
from experiments.config_checks import ConfigError

_WORKDIR = flags.DEFINE_string('workdir', None, 'A trained workdir.')
_DATA_PATH = flags.DEFINE_string(
    'config.data.path', None,
    'The .npz of a configs/paired.py run, where it is now (default: the '
    'recorded path).')
flags.mark_flags_as_required(['workdir'])


def evaluate_workdir(workdir: str, data_path: str | None = None
                     ) -> list[run.RunResult]:
  """Evaluates every model of `workdir` with the config in its config.json
  (with `data_path` as config.data.path, when given)."""
  path = os.path.join(workdir, 'config.json')
  if not os.path.isfile(path):
    raise ConfigError(f'--workdir={workdir} has no config.json; give the '
                      'workdir of a run of experiments.main')
  with open(path) as f:
    config = ml_collections.ConfigDict(json.load(f))
  if data_path is not None:
    if 'path' not in config.data:
      raise ConfigError(f'--config.data.path={data_path!r}: the run of '
                        f'{workdir} reads data.source='
                        f'{config.data.source!r}, which has no path')
    config.data.path = data_path
  return run.train_and_evaluate(config, workdir, may_train=False)


if __name__ == '__main__':
  cli.main(lambda: evaluate_workdir(_WORKDIR.value, _DATA_PATH.value))
