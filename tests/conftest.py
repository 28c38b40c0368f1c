"""How the tests run: one simulated CPU device in process (several for the
tests marked `multi_device`, run by tests/test_multi_device.py in a pytest of
their own on four), set before JAX starts; one XLA compilation cache and one
judge cache for the whole session; unoptimized code generation (the tests
mostly compile); the shared tiny run; and how the tests start the launchers."""

import os
import tempfile

# The tests, in process and in the launcher subprocesses, spend most of their
# time compiling small programs, which LLVM at -O0 compiles in about half the
# time (a tiny run: 44 -> 28 s); the few that train hundreds of steps run
# about 10% slower. It changes float rounding against an optimized build, so
# every number a test compares was computed under the same flag. XLA:CPU's
# older fusion code generation (fusion emitters off) compiles faster again: a
# tiny run 21-25 -> 17-18 s of CPU, the suite 769 -> 665 s of CPU and 8:00 ->
# 6:57 of wall time in one sitting (2 AMD EPYC cores, a tuning beside both).
FAST_COMPILE = ('--xla_backend_optimization_level=0 '
                '--xla_cpu_use_fusion_emitters=false')
# Simulated CPU devices of this test process. One, except in the pytest of
# the multi_device tests: on 2 cores a step of 8 simulated devices ran 8
# times as long as on one (the paired defaults' step: 300 ms against 37).
DEVICES_ENV = 'WYNER_JAX_TEST_DEVICES'
DEVICES = int(os.environ.get(DEVICES_ENV, '1'))
os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') + f' {FAST_COMPILE}'
                           f' --xla_force_host_platform_device_count={DEVICES}')
os.environ.setdefault('JAX_PLATFORMS', 'cpu')

import atexit  # pylint: disable=wrong-import-position
import shutil  # pylint: disable=wrong-import-position

_SESSION_DIRS = []  # made by this process, removed when it exits


def _session_dir(prefix: str) -> str:
  """A new temporary directory that lives as long as this process (the
  controller's: the pytest-xdist workers and subprocesses inherit it)."""
  path = tempfile.mkdtemp(prefix=prefix)
  _SESSION_DIRS.append(path)
  return path


# Registered first, so it runs last: after the shared tiny run is stopped.
atexit.register(lambda: [shutil.rmtree(path, ignore_errors=True)
                         for path in _SESSION_DIRS])

# The launcher subprocesses of many tests compile the same programs again; a
# persistent cache (inherited through the environment, fresh per session)
# compiles them once, with identical metrics.json.
if 'JAX_COMPILATION_CACHE_DIR' not in os.environ:
  os.environ['JAX_COMPILATION_CACHE_DIR'] = _session_dir(
      'wyner_jax_tests_xla_cache_')
os.environ.setdefault('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', '0')

import pathlib  # pylint: disable=wrong-import-position
import signal  # pylint: disable=wrong-import-position
import subprocess  # pylint: disable=wrong-import-position
import sys  # pylint: disable=wrong-import-position
import time  # pylint: disable=wrong-import-position

import pytest  # pylint: disable=wrong-import-position

import numpy as np  # pylint: disable=wrong-import-position

from configs import synthetic  # pylint: disable=wrong-import-position
from experiments.sources import add1_mnist  # pylint: disable=wrong-import-position
from wyner_jax import phases as phases_lib  # pylint: disable=wrong-import-position
from wyner_jax import train as train_lib  # pylint: disable=wrong-import-position

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST = add1_mnist.SIDE


def mnist_model(config):
  """The WynerVAE of `config` on Add-1 MNIST (both sides 28 x 28 digits)."""
  return phases_lib.model_from_config(config, MNIST, MNIST)


def wyner_phases(config, model):
  """{'joint': Phase, 'marginal': Phase} of `config`."""
  return {p.name: p for p in phases_lib.wyner_phases(config, model)}


def add1_pairs(images, per_class: int, seed: int = 0):
  """Add-1 pairs (a PairSet of float rows) of an ImageSet of the embedded digits."""
  return add1_mnist.split(images, per_class, seed).pairs()


def embedded_digits(test_per_class: int = 100):
  """(train, test) ImageSets of the embedded MNIST subset, images as
  [n, 784] float32 rows in [0, 1]."""
  from experiments import data  # pylint: disable=import-outside-toplevel
  from experiments.sources import images  # pylint: disable=import-outside-toplevel
  return tuple(split._replace(images=data.as_float(split.images))
               for split in images.embedded_mnist(test_per_class))


def as_tables(x, y):
  """PairTables of float rows x, y: each pair its own row."""
  rows = np.arange(len(x), dtype=np.int32)
  return train_lib.PairTables(x, y, rows, rows)


def tiny(**fields):
  """configs/synthetic.py:tiny, quiet, with {'a.b': value} fields set."""
  from experiments import config_checks  # pylint: disable=import-outside-toplevel
  config = synthetic.get_config('tiny')
  config.log_every_secs = 1e9
  for path, value in fields.items():
    config_checks.set_field(config, path, value)
  return config


def env(devices: int = 1) -> dict[str, str]:
  """The environment of a launcher subprocess on `devices` CPU devices,
  with the session's judge cache whatever a test did to os.environ."""
  return {**os.environ, 'JAX_PLATFORMS': 'cpu', 'XLA_FLAGS': (
      f'{FAST_COMPILE} --xla_force_host_platform_device_count={devices}'),
          'WYNER_JAX_CACHE_DIR': SESSION_CACHE_DIR}


def launch_tiny(workdir, *flags, timeout=300):
  """The launcher on configs/synthetic.py:tiny into `workdir`, with `flags`."""
  return launch('experiments.main', '--config=configs/synthetic.py:tiny',
                f'--workdir={workdir}', *flags, timeout=timeout)


def launch(module, *flags, devices=1, timeout=300):
  """`python -m MODULE FLAGS...` from the repository root on `devices` CPU devices."""
  return subprocess.run([sys.executable, '-m', module, *flags], cwd=REPO,
                        env=env(devices), capture_output=True, text=True,
                        timeout=timeout)


TINY_RUN_ENV = 'WYNER_JAX_TESTS_TINY_RUN'


def _start_tiny_run() -> None:
  """Starts the shared tiny run in the background as soon as the session
  starts (it overlaps the tests that do not need it); pytest-xdist workers
  inherit its directory through the environment and wait for it."""
  root = _session_dir('wyner_jax_tests_tiny_run_')
  os.environ[TINY_RUN_ENV] = root
  # The exit status is written last: its file says the run is over.
  command = (f'"{sys.executable}" -m experiments.main '
             f'--config=configs/synthetic.py:tiny --workdir="{root}/workdir" '
             f'2> "{root}/stderr"; echo $? > "{root}/status"')
  process = subprocess.Popen(['sh', '-c', command], cwd=REPO, env=env(),
                             stdout=subprocess.DEVNULL, start_new_session=True)
  # A session that ends first (a few tests selected) stops it.
  atexit.register(lambda: process.poll() is None
                  and os.killpg(process.pid, signal.SIGTERM))


if TINY_RUN_ENV not in os.environ:  # the controller (or a serial run)
  # The judges (experiments/cache.py) are trained once per data and settings
  # for the session (the workers inherit the directory), never read from or
  # written to the user's own cache.
  os.environ['WYNER_JAX_CACHE_DIR'] = _session_dir('wyner_jax_tests_cache_')
SESSION_CACHE_DIR = os.environ['WYNER_JAX_CACHE_DIR']
if TINY_RUN_ENV not in os.environ:
  _start_tiny_run()


# pytest-xdist (--dist loadscope) hands whole modules to the workers in
# collection order: the longest first (measured with --durations) keep both
# workers busy to the end, where one would otherwise finish a long module
# alone. The modules not named keep their order after them.
# The first two need no shared tiny run: it trains beside them.
LONGEST_MODULES = ('test_paired.py', 'test_multi_device.py', 'test_main.py',
                   'test_metrics.py', 'test_wrapper.py', 'test_lambda_sweep.py',
                   'test_compare.py', 'test_tuning.py', 'test_faults.py',
                   'test_two_shapes.py', 'test_resume.py', 'test_docs.py',
                   'test_train.py')


MULTI_DEVICE = 'multi_device'


def pytest_configure(config):
  config.addinivalue_line(
      'markers', f'{MULTI_DEVICE}: needs several devices; runs in the pytest '
      'of tests/test_multi_device.py on four simulated devices')


def pytest_collection_modifyitems(config, items):
  # On one device the multi_device tests are left to test_multi_device.py's
  # pytest; on several, only they run (the rest ran on one).
  wanted = [item for item in items if (item.get_closest_marker(MULTI_DEVICE)
                                       is not None) == (DEVICES > 1)]
  if len(wanted) < len(items):
    config.hook.pytest_deselected(items=[i for i in items if i not in wanted])
    items[:] = wanted
  rank = {name: i for i, name in enumerate(LONGEST_MODULES)}
  items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope='session')
def tiny_run():
  """One launcher run of configs/synthetic.py:tiny, shared by every test that
  only reads its result (or copies its workdir): (workdir, its stderr)."""
  root = pathlib.Path(os.environ[TINY_RUN_ENV])
  deadline = time.time() + 600
  while not (root / 'status').exists() or not (root / 'status').read_text():
    assert time.time() < deadline, 'the shared tiny run did not finish in 600 s'
    time.sleep(0.2)
  stderr = (root / 'stderr').read_text()
  assert (root / 'status').read_text().strip() == '0', stderr[-3000:]
  return root / 'workdir', stderr
