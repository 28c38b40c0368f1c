"""SIGKILL at any moment, then the same command again: the result equals a run
that was never killed (final parameters bitwise, metrics.json equal)."""

import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import numpy as np
import orbax.checkpoint as ocp
import jax

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = 40  # of each training step in the tiny config


def command(workdir, classifier_dir):
  return [sys.executable, '-m', 'experiments.main',
          '--config=configs/synthetic.py:tiny', f'--workdir={workdir}',
          '--config.checkpoint_every=5',  # many saves to be killed in
          f'--config.eval.classifier_dir={classifier_dir}']


def saved_steps(workdir: pathlib.Path, phase: str) -> list[int]:
  directory = workdir / 'checkpoints' / phase
  return sorted(int(p.name) for p in directory.glob('*') if p.name.isdigit()) \
      if directory.exists() else []


def saving(workdir: pathlib.Path) -> bool:
  """An Orbax save is in progress: its temporary step directory exists."""
  return any('tmp' in p.name for p in workdir.glob('checkpoints/*/*'))


def kill_when(cmd, env, condition, timeout=120) -> bool:
  """Starts `cmd`, SIGKILLs it once condition() holds; False if it finished first."""
  process = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
  deadline = time.time() + timeout
  while process.poll() is None and time.time() < deadline:
    if condition():
      process.send_signal(signal.SIGKILL)
      process.wait()
      return True
    time.sleep(0.002)
  process.wait(timeout=timeout)
  return False


def final_params(workdir: pathlib.Path, phase: str):
  with ocp.StandardCheckpointer() as checkpointer:
    return checkpointer.restore(
        workdir / 'checkpoints' / phase / str(STEPS) / 'state')['params']


def test_killed_and_restarted_run_equals_uninterrupted(tmp_path):
  env = {**os.environ, 'XLA_FLAGS': '', 'JAX_PLATFORMS': 'cpu'}
  classifier_dir = tmp_path / 'classifier'
  reference, killed = tmp_path / 'reference', tmp_path / 'killed'
  subprocess.run(command(reference, classifier_dir), cwd=REPO, env=env,
                 check=True, capture_output=True, timeout=300)
  cmd = command(killed, classifier_dir)
  rng = random.Random(0)
  delay = rng.uniform(2.0, 8.0)
  start = []
  kill_points = [
      ('during joint training (step >= 10 saved)',
       lambda: saved_steps(killed, 'joint')[-1:] >= [10]),
      ('during a checkpoint save (Orbax temporary directory present)',
       lambda: saving(killed)),
      (f'at a random moment ({delay:.1f} s after start)',
       lambda: time.time() - start[-1] > delay),
      ('between the two steps (joint finished, marginal has no checkpoint)',
       lambda: saved_steps(killed, 'joint')[-1:] == [STEPS]
       and not saved_steps(killed, 'marginal')),
      ('during a checkpoint save of the marginal step', lambda: saving(killed)
       and saved_steps(killed, 'joint')[-1:] == [STEPS]),
      ('during evaluation (0.5 s after the last marginal save)',
       lambda: _after(lambda: saved_steps(killed, 'marginal')[-1:] == [STEPS],
                      0.5)),
  ]
  hit = []
  for name, condition in kill_points:
    start.append(time.time())
    _after.since = None
    if kill_when(cmd, env, condition):
      hit.append(name)
  print('kill points hit:', *hit, sep='\n  ')
  assert len(hit) >= 5, hit
  assert any('between the two steps' in h for h in hit), hit
  assert any('save' in h for h in hit), hit
  result = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
  assert result.returncode == 0, result.stderr[-3000:]

  assert (json.loads((killed / 'metrics.json').read_text())
          == json.loads((reference / 'metrics.json').read_text()))
  for phase in ('joint', 'marginal'):
    jax.tree.map(np.testing.assert_array_equal, final_params(killed, phase),
                 final_params(reference, phase))


def _after(condition, seconds: float) -> bool:
  """True `seconds` after condition() first held (state in _after.since)."""
  if _after.since is None:
    if condition():
      _after.since = time.time()
    return False
  return time.time() - _after.since >= seconds


_after.since = None
