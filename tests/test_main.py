"""End to end: the tiny config through `python -m experiments.main`: outputs,
resume, overrides, two processes, SIGKILL at any moment."""

import json
import pathlib
import random
import shutil
import signal
import socket
import subprocess
import sys
import time

import jax
import numpy as np
import orbax.checkpoint as ocp
import pytest

from conftest import REPO, launch_tiny
from conftest import env as launcher_env
OUTPUTS = ('config.json', 'metrics.json', 'train_log.jsonl',
           'figures/conditional_generation.png', 'figures/style_transfer.png',
           'figures/joint_samples.png', 'figures/training_curves.png')
REQUIRED_METRICS = [f'{phase}/{key}' for phase in ('joint', 'marginal') for key in
                    ('train/loss', 'eval/loss', 'eval/kl/z', 'eval/kl/u',
                     'eval/kl/v', 'eval/rec/x', 'eval/rec/y')]



def test_tiny_run_writes_every_output(tiny_run):
  workdir, stderr = tiny_run
  for name in OUTPUTS:
    assert (workdir / name).stat().st_size > 0, name
  for name in OUTPUTS[3:]:
    assert (workdir / name).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
  metrics = json.loads((workdir / 'metrics.json').read_text())
  for key in REQUIRED_METRICS:
    assert isinstance(metrics[key], float), key
  assert 0.0 <= metrics['eval/accuracy_y_given_x'] <= 1.0
  assert json.loads((workdir / 'config.json').read_text())['model']['z'] == [1, 10]
  for phase in ('joint', 'marginal'):
    assert (workdir / 'checkpoints' / phase / '40').is_dir()
  # The run ends with its headline metrics and where the files are.
  table = stderr[stderr.index('results (test pairs'):].splitlines()
  assert table[1].split()[:3] == ['model', 'Y|x', 'acc']
  assert table[2].split()[1] == f"{metrics['eval/accuracy_y_given_x']:.3f}"
  assert 'files: ' in table[3] and 'metrics.json' in table[3]


def test_rerun_resumes_instead_of_retraining(tiny_run, tmp_path):
  workdir = tmp_path / 'tiny'
  shutil.copytree(tiny_run[0], workdir)
  before = json.loads((workdir / 'metrics.json').read_text())
  result = launch_tiny(workdir)
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'joint: restored step 40' in result.stderr
  assert 'marginal: restored step 40' in result.stderr
  assert 'joint step' not in result.stderr  # no training step ran
  assert json.loads((workdir / 'metrics.json').read_text()) == before


def test_command_line_overrides_reach_the_run(tmp_path):
  result = launch_tiny(tmp_path, '--config.model.z=(1,1)')
  assert result.returncode != 0
  assert 'model.z=(1, 1) is not allowed' in result.stderr


def free_port() -> int:
  with socket.socket() as s:
    s.bind(('localhost', 0))
    return s.getsockname()[1]


def test_two_processes_match_one_process(tiny_run, tmp_path):
  """jax.distributed on localhost: 2 processes x 1 CPU device, one data mesh
  (several devices per process: tests/test_multi_device.py)."""
  workdir, _ = tiny_run
  env = launcher_env(devices=1)
  port = free_port()
  processes = [subprocess.Popen(
      [sys.executable, '-m', 'experiments.main',
       '--config=configs/synthetic.py:tiny', f'--workdir={tmp_path}',
       f'--coordinator_address=localhost:{port}', '--num_processes=2',
       f'--process_id={i}'],
      cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
      text=True) for i in range(2)]
  outputs = [p.communicate(timeout=400) for p in processes]
  for p, (_, err) in zip(processes, outputs):
    assert p.returncode == 0, err[-3000:]
  assert 'mesh {\'sweep\': 1, \'data\': 2}' in outputs[0][1]
  assert 'wrote' not in outputs[1][1]  # process 1 neither logs nor writes
  # The shared tiny run trained the judges into the session's user cache.
  assert 'judge cache: read' in outputs[0][1]
  assert 'judge cache: built' not in outputs[0][1]
  expected = json.loads((workdir / 'metrics.json').read_text())
  got = json.loads((tmp_path / 'metrics.json').read_text())
  assert got.keys() == expected.keys()
  for key in expected:
    assert got[key] == pytest.approx(expected[key], rel=1e-4, abs=1e-6), key
  records = [json.loads(line) for line in
             (tmp_path / 'train_log.jsonl').read_text().splitlines()]
  steps = [(r['phase'], r['step']) for r in records]
  assert len(steps) == len(set(steps))  # one writer
  assert len(list((tmp_path / 'tensorboard').rglob('events.out.tfevents.*'))) == 1


STEPS = 40  # of each training step in the tiny config


def command(workdir):
  """The tiny run with a checkpoint every 5 steps (many saves to be killed in);
  checkpoint frequency does not change the result."""
  return [sys.executable, '-m', 'experiments.main',
          '--config=configs/synthetic.py:tiny', f'--workdir={workdir}',
          '--config.checkpoint_every=5']


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


def test_killed_and_restarted_run_equals_uninterrupted(tiny_run, tmp_path):
  """SIGKILL at several points, then the same command again: the result
  equals a run that was never killed (tiny_run): final parameters bitwise,
  metrics.json equal."""
  reference, _ = tiny_run
  env = launcher_env()
  killed = tmp_path / 'killed'
  cmd = command(killed)
  rng = random.Random(0)
  delay = rng.uniform(2.0, 8.0)
  start = []
  kill_points = [
      ('during joint training (step >= 10 saved)',
       lambda: saved_steps(killed, 'joint')[-1:] >= [10]),
      ('during a checkpoint save (Orbax temporary directory present)',
       lambda: saving(killed)),
      ('between the two steps (joint finished, marginal has no checkpoint)',
       lambda: saved_steps(killed, 'joint')[-1:] == [STEPS]
       and not saved_steps(killed, 'marginal')),
      ('during a checkpoint save of the marginal step', lambda: saving(killed)
       and saved_steps(killed, 'joint')[-1:] == [STEPS]),
      ('during evaluation (0.5 s after the last marginal save)',
       lambda: _after(lambda: saved_steps(killed, 'marginal')[-1:] == [STEPS],
                      0.5)),
      # Last: earlier, a fast restart (warm compilation cache) could pass the
      # window of a later kill point before this one fires.
      (f'at a random moment ({delay:.1f} s after start)',
       lambda: time.time() - start[-1] > delay),
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
