r"""Trains and evaluates every model of a comparison; one table and figure.

  python -m experiments.compare --config=configs/compare.py --workdir=/tmp/compare
  python -m experiments.compare --config=configs/compare.py:mnist_poly \
      --workdir=/tmp/compare_poly

Re-running resumes: finished models are restored, not retrained
(experiments/many_runs/comparison.py says what is written).
"""

from absl import flags
from ml_collections import config_flags

from experiments import cli
from experiments.many_runs import comparison

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Comparison config, e.g. configs/compare.py.',
    lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', '/tmp/wyner_compare',
                               'Directory of the comparison (one sub-directory '
                               'per model kind).')
flags.mark_flags_as_required(['config'])


if __name__ == '__main__':
  cli.main(lambda: comparison.run_comparison(_CONFIG.value, _WORKDIR.value))
