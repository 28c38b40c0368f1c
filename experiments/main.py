r"""Trains and evaluates a Wyner VAE from a config file.

  python -m experiments.main --config=configs/synthetic.py --workdir=/tmp/wyner

Re-running the same command resumes the unfinished training step from its last
checkpoint and skips a finished one.
"""

import logging as pylogging
import sys

from absl import app
from absl import flags
from absl import logging
import jax
from ml_collections import config_flags

from wyner_jax import train
from wyner_jax.config_checks import ConfigError
from wyner_jax.data import DataError

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Config file, e.g. configs/synthetic.py or configs/synthetic.py:tiny.',
    lock_config=True)
_WORKDIR = flags.DEFINE_string(
    'workdir', '/tmp/wyner_jax', 'Directory for checkpoints, figures and metrics.')
flags.mark_flags_as_required(['config'])


class _DropLibraryInfo(pylogging.Filter):
  """Orbax logs every checkpoint's internals at INFO; keep its warnings only."""

  def filter(self, record: pylogging.LogRecord) -> bool:
    return record.levelno >= pylogging.WARNING or '/orbax/' not in record.pathname


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  logging.get_absl_handler().addFilter(_DropLibraryInfo())
  logging.info('JAX %s, devices: %s', jax.__version__, jax.devices())
  try:
    train.train_and_evaluate(_CONFIG.value, _WORKDIR.value)
  except (ConfigError, DataError, FloatingPointError) as e:
    # User errors and numerical faults: one readable line, no traceback.
    logging.error('%s', e)
    sys.exit(f'error: {e}')


if __name__ == '__main__':
  app.run(main)
