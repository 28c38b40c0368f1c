"""What the launchers share: multi-process start-up, quiet library logs and
one-line user errors.

Multi-host: start the same command on every host with
  --coordinator_address=HOST0:PORT --num_processes=P --process_id=I
(or, on clusters JAX detects (Slurm, Open MPI, TPU pods, ...), with
--distributed alone; JAX also reads JAX_COORDINATOR_ADDRESS).
"""

import logging as pylogging
import sys

from absl import app
from absl import flags
from absl import logging
import jax

from wyner_jax.config_checks import ConfigError
from wyner_jax.data import DataError
from wyner_jax.sharding import MeshError

_DISTRIBUTED = flags.DEFINE_bool(
    'distributed', False, 'Call jax.distributed.initialize() (implied by the '
    'three flags below).')
_COORDINATOR = flags.DEFINE_string(
    'coordinator_address', None, 'host:port of process 0, e.g. 10.0.0.1:1234.')
_NUM_PROCESSES = flags.DEFINE_integer('num_processes', None,
                                      'Number of processes (hosts).')
_PROCESS_ID = flags.DEFINE_integer('process_id', None,
                                   'This process: 0 .. num_processes-1.')


class _DropLibraryInfo(pylogging.Filter):
  """Orbax logs every checkpoint's internals at INFO; keep its warnings only."""

  def filter(self, record: pylogging.LogRecord) -> bool:
    return record.levelno >= pylogging.WARNING or '/orbax/' not in record.pathname


def _initialize_distributed() -> None:
  given = (_COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value)
  if not _DISTRIBUTED.value and all(v is None for v in given):
    return
  # CPU processes need a collectives backend; GPU/TPU ignore this setting.
  jax.config.update('jax_cpu_collectives_implementation', 'gloo')
  jax.distributed.initialize(*given)


def run_cli(argv, job) -> None:
  """Runs `job()` with quiet library logs; user errors end in one line."""
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  _initialize_distributed()
  logging.get_absl_handler().addFilter(_DropLibraryInfo())
  if jax.process_index() != 0:  # one log: process 0 speaks for all
    logging.set_verbosity(logging.WARNING)
  logging.info('JAX %s, %d process(es), devices: %s', jax.__version__,
               jax.process_count(), jax.devices())
  try:
    job()
  except (ConfigError, DataError, MeshError, FloatingPointError) as e:
    # User errors and numerical faults: one readable line, no traceback.
    logging.error('%s', e)
    sys.exit(f'error: {e}')
