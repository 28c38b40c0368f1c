r"""Tunes several model kinds with an equal budget on one data pair, then
trains each one's selected configuration with three seeds.

  python -m experiments.tune --config=configs/tune.py --workdir=/tmp/tune
  python -m experiments.tune --config=configs/tune.py:paired \
      --config.data.path=FILE.npz --workdir=/tmp/tune_mine

Re-running resumes: finished candidates are read back, not retrained
(experiments/many_runs/tuning.py says what is written and how one is selected).
"""

from absl import flags
from ml_collections import config_flags

from experiments import cli
from experiments.many_runs import tuning

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Tuning config, e.g. configs/tune.py.', lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', '/tmp/wyner_tune',
                               'Directory of the tuning (one sub-directory '
                               'per model kind and candidate).')
flags.mark_flags_as_required(['config'])


if __name__ == '__main__':
  cli.main(lambda: tuning.run_tuning(_CONFIG.value, _WORKDIR.value))
