"""What the launchers share: quiet library logs and one-line user errors."""

import logging as pylogging
import sys

from absl import app
from absl import logging
import jax

from wyner_jax.config_checks import ConfigError
from wyner_jax.data import DataError


class _DropLibraryInfo(pylogging.Filter):
  """Orbax logs every checkpoint's internals at INFO; keep its warnings only."""

  def filter(self, record: pylogging.LogRecord) -> bool:
    return record.levelno >= pylogging.WARNING or '/orbax/' not in record.pathname


def run_cli(argv, job) -> None:
  """Runs `job()` with quiet library logs; user errors end in one line."""
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  logging.get_absl_handler().addFilter(_DropLibraryInfo())
  logging.info('JAX %s, devices: %s', jax.__version__, jax.devices())
  try:
    job()
  except (ConfigError, DataError, FloatingPointError) as e:
    # User errors and numerical faults: one readable line, no traceback.
    logging.error('%s', e)
    sys.exit(f'error: {e}')
