"""Lambda sweeps as one vmapped program: equal to separate runs on any mesh,
clear divisibility errors, the rate falls with lambda, end to end outputs."""

import json
import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from configs import lambda_sweep as lambda_sweep_config
from wyner_jax import data, evaluate, run, sharding, train
from wyner_jax.lambda_sweep import ModelSpec

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope='module')
def train_pairs():
  train_images, _ = data.load_embedded(test_per_class=100)
  return data.make_pairs(train_images, 40, seed=0)


def tiny_config(steps):
  config = lambda_sweep_config.get_config('tiny')
  config.log_every_secs = 1e9  # quiet
  config.joint.num_steps = config.marginal.num_steps = steps
  config.checkpoint_every = steps
  return config


def test_sweep_models_equal_separate_runs_on_both_meshes(train_pairs, tmp_path):
  assert jax.device_count() == 8, 'conftest simulates 8 CPU devices'
  config = tiny_config(steps=8)
  model = train.model_from_config(config)
  specs = [ModelSpec(0.0, 0), ModelSpec(3e4, 1), ModelSpec(1e5, 2),
           ModelSpec(1e6, 0)]
  alone = [run.train_models(config, model, [spec], train_pairs,
                            sharding.make_mesh(1), str(tmp_path / f'alone{i}'))
           for i, spec in enumerate(specs)]
  for sweep_devices in (4, 1):  # meshes 4 x 2 and 1 x 8
    mesh = sharding.make_mesh(sweep_devices)
    params, metrics = run.train_models(config, model, specs, train_pairs, mesh,
                                       str(tmp_path / f'sweep{sweep_devices}'))
    # The stacked checkpoints resume like a single run: restored, not retrained.
    again, _ = run.train_models(config, model, specs, train_pairs, mesh,
                                str(tmp_path / f'sweep{sweep_devices}'))
    jax.tree.map(np.testing.assert_array_equal, again, params)
    for i, (alone_params, alone_metrics) in enumerate(alone):
      np.testing.assert_allclose(metrics['joint']['loss'][i],
                                 alone_metrics['joint']['loss'][0], rtol=1e-5)
      np.testing.assert_allclose(metrics['marginal']['loss'][i],
                                 alone_metrics['marginal']['loss'][0], rtol=1e-5)
      jax.tree.map(
          lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
          train.unstack(params, i), train.unstack(alone_params, 0))


def test_models_not_divisible_by_sweep_devices_is_a_clear_error():
  mesh = sharding.make_mesh(4)
  with pytest.raises(sharding.MeshError, match=r'6 models cannot be split over '
                     r'4 sweep devices'):
    sharding.check_divisible(6, 32, mesh)
  with pytest.raises(sharding.MeshError, match=r'batch_size=3 must be a positive '
                     r'multiple of the number of data-parallel devices \(2\)'):
    sharding.check_divisible(4, 3, mesh)
  with pytest.raises(sharding.MeshError, match=r'sweep_devices=3 must be a '
                     r'positive divisor of the number of devices \(8\)'):
    sharding.make_mesh(3)


def test_launcher_reports_divisibility_without_traceback(tmp_path):
  env = {**os.environ, 'JAX_PLATFORMS': 'cpu',
         'XLA_FLAGS': '--xla_force_host_platform_device_count=8'}
  result = subprocess.run(
      [sys.executable, '-m', 'experiments.main',
       '--config=configs/lambda_sweep.py:tiny', f'--workdir={tmp_path}',
       '--config.lambda_sweep.sweep_devices=8'],
      cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
  assert result.returncode != 0
  assert 'error: 4 models cannot be split over 8 sweep devices' in result.stderr
  assert 'Traceback' not in result.stderr


def test_rate_is_non_increasing_in_lambda(train_pairs, tmp_path):
  config = tiny_config(steps=100)
  config.marginal.num_steps = 0
  model = train.model_from_config(config)
  specs = [ModelSpec(lam, 0) for lam in config.lambda_sweep.lams]
  params, _ = run.train_models(config, model, specs, train_pairs,
                               sharding.make_mesh(1), str(tmp_path))
  _, test_images = data.load_embedded(test_per_class=100)
  test_pairs = data.make_pairs(test_images, 100, seed=1)
  loss_fn = train.joint_loss_fn(model, False, config.loss.two_eps_sq)
  rates = [evaluate.evaluate_loss(
      loss_fn, train.unstack({k: params[k] for k in ('joint', 'decoders')}, i),
      None, test_pairs, jax.random.key(0), 0.5, spec.lam)['kl/z']
           for i, spec in enumerate(specs)]
  assert np.all(np.diff(rates) <= 1e-3), list(zip(config.lambda_sweep.lams, rates))
  assert rates[0] > 1.0 and rates[-1] < 0.05, rates  # max rate: log 10 = 2.30


def test_sweep_config_end_to_end(tmp_path):
  env = {**os.environ, 'JAX_PLATFORMS': 'cpu',
         'XLA_FLAGS': '--xla_force_host_platform_device_count=2'}
  command = [sys.executable, '-m', 'experiments.main',
             '--config=configs/lambda_sweep.py:tiny', f'--workdir={tmp_path}',
             '--config.lambda_sweep.sweep_devices=2',
             '--config.lambda_sweep.lams=(0.,1e6)']
  result = subprocess.run(command, cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  rows = json.loads((tmp_path / 'results.json').read_text())
  assert [row['lam'] for row in rows] == [0.0, 1e6]
  assert rows[1]['joint/eval/kl/z'] < rows[0]['joint/eval/kl/z']
  single = json.loads((tmp_path / 'models' / 'lam0_seed0' / 'metrics.json')
                      .read_text())
  assert set(single) <= set(rows[0])  # every metric of a single run, per row
  assert rows[0]['eval/accuracy_y_given_x'] == single['eval/accuracy_y_given_x']
  assert (tmp_path / 'lambda_sweep.png').read_bytes()[:4] == b'\x89PNG'
  assert (tmp_path / 'results.md').read_text().count('\n') == 2 + len(rows)
