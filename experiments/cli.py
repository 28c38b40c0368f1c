"""What the launchers share: flag parsing, multi-process start-up, the
persistent compilation cache (`experiments.cache`), quiet library logs and
one-line user errors (`--debug` shows their traceback).

Launchers call `cli.main(job)`; bad input ends in one line `error: ...` and a
non-zero exit, pre-emption (SIGTERM/SIGINT while training) in 128 + signal.

Multi-host: start the same command on every host with
  --coordinator_address=HOST0:PORT --num_processes=P --process_id=I
(or, on clusters JAX detects (Slurm, Open MPI, TPU pods, ...), with
--distributed alone; JAX also reads JAX_COORDINATOR_ADDRESS).
"""

import importlib.util
import logging as pylogging
import sys

from absl import app
from absl import flags
from absl import logging
import jax

from experiments import cache
from wyner_jax.errors import WynerError
from wyner_jax.preemption import Preempted

_DEBUG = flags.DEFINE_bool('debug', False,
                           'Show the Python traceback of user errors.')
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


def config_file_argument(argv: list[str]) -> str:
  """PATH[:ARG] of `--config=PATH[:ARG]` or `--config PATH[:ARG]` in `argv`."""
  for i, arg in enumerate(argv):
    if arg.startswith('--config='):
      return arg.split('=', 1)[1]
    if arg == '--config' and i + 1 < len(argv):
      return argv[i + 1]
  raise app.UsageError('give the config file: --config=PATH[:VARIANT]')


def _load_config_file(argv: list[str]):
  """The config named by --config in `argv`, loaded without overrides."""
  spec = config_file_argument(argv)
  path, _, arg = spec.partition(':')
  module_spec = importlib.util.spec_from_file_location('_config_file', path)
  module = importlib.util.module_from_spec(module_spec)
  module_spec.loader.exec_module(module)
  return module.get_config(arg) if arg else module.get_config()


def _unknown_config_field(argv: list[str], missing: str) -> str:
  """The message for a --config.PATH=VALUE override naming no config field."""
  config = _load_config_file(argv)
  for override in (a for a in argv[1:] if a.startswith('--config.')):
    path = override.split('=', 1)[0].removeprefix('--config.').split('.')
    node = config
    for depth, name in enumerate(path):
      if not hasattr(node, 'keys') or name not in node:
        parent = '.'.join(path[:depth]) or 'the config'
        allowed = ', '.join(sorted(node.keys())) if hasattr(node, 'keys') else 'none'
        return (f'{override}: {".".join(path)!r} is not a config field; '
                f'fields of {parent}: {allowed}')
      node = node[name]
  return f'unknown config field {missing}'


def parse_flags(argv: list[str]) -> list[str]:
  """absl's flag parser, with bad flags and unknown config fields in one line."""
  try:
    return flags.FLAGS(argv)
  except flags.Error as e:
    sys.exit(f'error: {e}')
  except (AttributeError, KeyError) as e:  # ml_collections: no such field
    sys.exit(f'error: {_unknown_config_field(argv, str(e))}')


def main(job) -> None:
  """Parses the flags and runs `job()` as the launcher's main function."""
  app.run(lambda argv: run_cli(argv, job), flags_parser=parse_flags)


def run_cli(argv, job) -> None:
  """Runs `job()` with quiet library logs; user errors end in one line."""
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  _initialize_distributed()
  logging.get_absl_handler().addFilter(_DropLibraryInfo())
  if jax.process_index() != 0:  # one log: process 0 speaks for all
    logging.set_verbosity(logging.WARNING)
  compilation_cache = cache.enable_compilation_cache()  # before any compile
  logging.info('JAX %s, %d process(es), devices: %s; compilation cache %s',
               jax.__version__, jax.process_count(), jax.devices(),
               compilation_cache)
  try:
    job()
  # Errors in what the user gave (config, data, workdir, checkpoints,
  # devices) or in how training went numerically: one line, no traceback.
  except WynerError as e:
    if _DEBUG.value:
      raise
    sys.exit(f'error: {e}')  # the one line; not logged as well
  except Preempted as e:
    logging.warning('%s', e)
    print(f'stopped: {e}', file=sys.stderr)
    sys.exit(128 + e.signum)
