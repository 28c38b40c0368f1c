"""Lambda sweeps as one vmapped program: equal to separate runs on any mesh,
clear divisibility errors, the rate falls with lambda, end to end outputs."""

import json

import jax
import numpy as np
import pytest

from configs import lambda_sweep as lambda_sweep_config
from conftest import launch, mnist_model, wyner_phases
from experiments import heldout, lambda_sweep, run, sources
from wyner_jax import errors, loading, sampling, sharding
from wyner_jax.stack import ModelSpec


@pytest.fixture(scope='module')
def train_pairs():
  """Add-1 MNIST with 40 train pairs per class."""
  return sources.load(sources.data_config('embedded', pairs_per_class=40))


def train_models(config, model, specs, paired, mesh, workdir, **kwargs):
  return run.train_models(config, model, specs, paired.train,
                          run.training_records(config, paired), mesh, workdir,
                          **kwargs)


def tiny_config(steps):
  config = lambda_sweep_config.get_config('tiny')
  config.log_every_secs = 1e9  # quiet
  config.joint.num_steps = config.marginal.num_steps = steps
  config.checkpoint_every = steps
  return config


def test_sweep_models_equal_separate_runs_on_both_meshes(train_pairs, tmp_path):
  assert jax.device_count() == 8, 'conftest simulates 8 CPU devices'
  config = tiny_config(steps=8)
  model = mnist_model(config)
  specs = [ModelSpec(0.0, 0), ModelSpec(1e5, 1)]  # lambda and seed differ
  alone = [train_models(config, model, [spec], train_pairs,
                            sharding.make_mesh(1), str(tmp_path / f'alone{i}'))
           for i, spec in enumerate(specs)]
  for sweep_devices in (2, 1):  # meshes 2 x 4 (a model per row) and 1 x 8
    mesh = sharding.make_mesh(sweep_devices)
    swept = train_models(config, model, specs, train_pairs, mesh,
                             str(tmp_path / f'sweep{sweep_devices}'))
    assert [m.name for m in swept] == [s.name for s in specs]
    # The stacked checkpoints resume like a single run: restored, not retrained.
    again = train_models(config, model, specs, train_pairs, mesh,
                             str(tmp_path / f'sweep{sweep_devices}'), may_train=False)
    jax.tree.map(np.testing.assert_array_equal, [m.state for m in again],
                 [m.state for m in swept])
    for member, (alone_member,) in zip(swept, alone):
      assert (member.name, member.lam, member.seed) == (
          alone_member.name, alone_member.lam, alone_member.seed)
      for phase in ('joint', 'marginal'):
        np.testing.assert_allclose(member.state['train_metrics'][phase]['loss'],
                                   alone_member.state['train_metrics'][phase]['loss'],
                                   rtol=1e-5)
      jax.tree.map(
          lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
          member.state['params'], alone_member.state['params'])


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
  result = launch('experiments.main', '--config=configs/lambda_sweep.py:tiny',
                  f'--workdir={tmp_path}', '--config.lambda_sweep.sweep_devices=8',
                  devices=8)
  assert result.returncode != 0
  assert 'error: 4 models cannot be split over 8 sweep devices' in result.stderr
  assert 'Traceback' not in result.stderr


def test_rate_is_non_increasing_in_lambda(train_pairs, tmp_path):
  config = tiny_config(steps=100)
  config.marginal.num_steps = 0
  model = mnist_model(config)
  specs = [ModelSpec(lam, 0) for lam in config.lambda_sweep.lams]
  trained = train_models(config, model, specs, train_pairs,
                             sharding.make_mesh(1), str(tmp_path))
  test_pairs = train_pairs.test.pairs()
  loss_fn = wyner_phases(config, model)['joint'].loss
  rates = [heldout.evaluate_loss(
      loss_fn, {k: m.state['params'][k] for k in ('joint', 'decoders')},
      None, test_pairs, jax.random.key(0), 0.5, m.lam)['kl/z'] for m in trained]
  assert np.all(np.diff(rates) <= 1e-3), list(zip(config.lambda_sweep.lams, rates))
  assert rates[0] > 1.0 and rates[-1] < 0.05, rates  # max rate: log 10 = 2.30


def test_sweep_config_end_to_end(tiny_run, tmp_path):
  result = launch('experiments.main', '--config=configs/lambda_sweep.py:tiny',
                  f'--workdir={tmp_path}', '--config.lambda_sweep.sweep_devices=2',
                  '--config.lambda_sweep.lams=(0.,1e6)',
                  devices=2, timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  entries = json.loads((tmp_path / 'results.json').read_text())
  assert [e['lam'] for e in entries] == [0.0, 1e6]
  assert [[row['seed'] for row in e['seeds']] for e in entries] == [[0], [0]]
  assert entries[1]['mean']['joint/eval/kl/z'] < entries[0]['mean']['joint/eval/kl/z']
  single = json.loads((tmp_path / 'models' / 'lam0_seed0' / 'metrics.json')
                      .read_text())
  row = entries[0]['seeds'][0]
  assert set(single) <= set(row)  # every metric of a single run, per model
  assert row['eval/accuracy_y_given_x'] == single['eval/accuracy_y_given_x']
  assert entries[0]['mean']['eval/accuracy_y_given_x'] == row['eval/accuracy_y_given_x']
  assert entries[0]['std']['eval/accuracy_y_given_x'] == 0.0  # one seed
  assert (tmp_path / 'lambda_sweep.png').read_bytes()[:4] == b'\x89PNG'
  assert (tmp_path / 'results.md').read_text().count('\n') == 2 + len(entries)

  # One model of the sweep read back alone samples as it does inside the stack.
  config = tiny_config(steps=40)
  config.lambda_sweep.lams = (0.0, 1e6)
  model = mnist_model(config)
  paired = sources.load(config.data)
  test_pairs = paired.test.pairs()
  stacked = train_models(config, model, lambda_sweep.model_specs(config),
                         paired, sharding.make_mesh(2, jax.devices()[:2]),
                         str(tmp_path), may_train=False)
  alone = loading.load_model(str(tmp_path), 'lam1e+06_seed0')
  assert (alone.name, alone.lam, alone.seed) == ('lam1e+06_seed0', 1e6, 0)
  assert alone.model == model and alone.config.lambda_sweep.lams == [0.0, 1e6]
  rng, x = jax.random.key(5), test_pairs.x[:6]
  np.testing.assert_array_equal(
      sampling.y_given_x(alone.model, alone.params, rng, x, 3),
      sampling.y_given_x(model, stacked[1].state['params'], rng, x, 3))
  with pytest.raises(errors.WynerError, match=r"no model 'lam5_seed0' in .*; it "
                     r'holds lam0_seed0, lam1e\+06_seed0'):
    loading.load_model(str(tmp_path), 'lam5_seed0')
  with pytest.raises(errors.WynerError, match=r'holds 2 models; name one of'):
    loading.load_model(str(tmp_path))


def test_lambda_sweep_config_trains_three_seeds_per_lambda():
  # (the default's grid: tests/test_wrapper.py)
  config = lambda_sweep_config.get_config('pixels')
  specs = lambda_sweep.model_specs(config)
  assert len(specs) == 6 * 3
  assert specs[:4] == [ModelSpec(0.0, 0), ModelSpec(0.0, 1), ModelSpec(0.0, 2),
                       ModelSpec(1000.0, 0)]
  rows = [{'lam': s.lam, 'seed': s.seed, 'name': s.name, 'acc': float(s.seed)}
          for s in specs]
  entries = lambda_sweep.by_lambda(rows)
  assert [e['lam'] for e in entries] == [0.0, 1e3, 3e3, 1e4, 3e4, 1e5]
  assert entries[0]['mean']['acc'] == 1.0 and entries[0]['std']['acc'] == 1.0
  assert 'seed' not in entries[0]['mean']  # the seed is a label, not a metric
  table = lambda_sweep.markdown_table([{**e, 'mean': {k: 0.5 for _, k in
                                                      lambda_sweep.TABLE_COLUMNS},
                                        'std': {k: 0.25 for _, k in
                                                lambda_sweep.TABLE_COLUMNS}}
                                       for e in entries])
  assert '| 0 | 0, 1, 2 | 0.500 ± 0.250 |' in table
