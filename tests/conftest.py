"""Eight simulated CPU devices for every test, set before JAX starts, and one
XLA compilation cache for the whole session."""

import os
import tempfile

os.environ['XLA_FLAGS'] = (os.environ.get('XLA_FLAGS', '') +
                           ' --xla_force_host_platform_device_count=8')
os.environ.setdefault('JAX_PLATFORMS', 'cpu')

# The launcher subprocesses of many tests compile the same programs again; a
# persistent cache (inherited through the environment, fresh per session)
# took a tiny run from 54 s to 18 s with identical metrics.json.
os.environ.setdefault('JAX_COMPILATION_CACHE_DIR',
                      tempfile.mkdtemp(prefix='wyner_jax_tests_xla_cache_'))
os.environ.setdefault('JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS', '0')

import subprocess  # pylint: disable=wrong-import-position
import sys  # pylint: disable=wrong-import-position

import pytest  # pylint: disable=wrong-import-position

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def launch(module, *flags, devices=1, timeout=300):
  """`python -m MODULE FLAGS...` from the repository root on `devices` CPU devices."""
  env = {**os.environ, 'JAX_PLATFORMS': 'cpu', 'XLA_FLAGS': (
      f'--xla_force_host_platform_device_count={devices}' if devices > 1 else '')}
  return subprocess.run([sys.executable, '-m', module, *flags], cwd=REPO,
                        env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope='session')
def tiny_run(tmp_path_factory):
  """One launcher run of configs/synthetic.py:tiny, shared by every test that
  only reads its result (or copies its workdir): (workdir, completed process)."""
  workdir = tmp_path_factory.mktemp('tiny')
  result = launch('experiments.main', '--config=configs/synthetic.py:tiny',
                  f'--workdir={workdir}')
  assert result.returncode == 0, result.stderr[-3000:]
  return workdir, result
