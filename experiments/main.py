r"""Trains and evaluates a Wyner VAE from a config file.

  python -m experiments.main --config=configs/synthetic.py --workdir=/tmp/wyner

Re-running the same command resumes the unfinished training step from its last
checkpoint and skips a finished one.
"""

from absl import flags
from ml_collections import config_flags

from experiments import cli
from experiments import run

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Config file, e.g. configs/synthetic.py or configs/synthetic.py:tiny.',
    lock_config=True)
_WORKDIR = flags.DEFINE_string(
    'workdir', '/tmp/wyner_jax', 'Directory for checkpoints, figures and metrics.')
flags.mark_flags_as_required(['config'])


if __name__ == '__main__':
  cli.main(lambda: run.train_and_evaluate(_CONFIG.value, _WORKDIR.value))
