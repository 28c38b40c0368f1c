"""Lambda sweeps as one vmapped program: equal to separate runs on any mesh,
clear divisibility errors, the rate falls with lambda, end to end outputs."""

import json
import pathlib
import subprocess
import sys

import jax
import matplotlib.pyplot as plt
import numpy as np
import pytest

from configs import lambda_sweep as lambda_sweep_config
from conftest import REPO, launch, mnist_model, wyner_phases
from experiments import heldout, run, sources
from experiments.many_runs import lambda_sweep
from wyner_jax import errors, loading, sharding
from wyner_jax.stack import ModelSpec


@pytest.fixture(scope='module')
def train_pairs():
  """Add-1 MNIST with 40 train pairs per class."""
  return sources.load(sources.data_config('embedded', pairs_per_class=40))


def train_models(config, model, specs, paired, mesh, workdir, **kwargs):
  plan = run.make_plan(config, paired)._replace(model=model, specs=specs,
                                                mesh=mesh)
  return run.train_models(plan, paired.train, workdir, **kwargs)


def tiny_config(steps):
  config = lambda_sweep_config.get_config('tiny')
  config.log_every_secs = 1e9  # quiet
  config.joint.num_steps = config.marginal.num_steps = steps
  config.checkpoint_every = steps
  return config


@pytest.mark.multi_device
def test_sweep_models_equal_separate_runs_on_both_meshes(train_pairs, tmp_path):
  assert jax.device_count() == 4, 'conftest simulates 4 CPU devices here'
  config = tiny_config(steps=8)
  model = mnist_model(config)
  specs = [ModelSpec(0.0, 0), ModelSpec(1e5, 1)]  # lambda and seed differ
  alone = [train_models(config, model, [spec], train_pairs,
                            sharding.make_mesh(1), str(tmp_path / f'alone{i}'))
           for i, spec in enumerate(specs)]
  for sweep_devices in (2, 1):  # meshes 2 x 2 (a model per row) and 1 x 4
    mesh = sharding.make_mesh(sweep_devices)
    swept = train_models(config, model, specs, train_pairs, mesh,
                             str(tmp_path / f'sweep{sweep_devices}'))
    assert [m.name for m in swept] == [s.name for s in specs]
    # The stacked checkpoints resume like a single run, on the other mesh too
    # (lambda_sweep.sweep_devices may change between sittings): restored,
    # not retrained.
    again = train_models(config, model, specs, train_pairs,
                         sharding.make_mesh(3 - sweep_devices),
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


@pytest.mark.multi_device
def test_models_not_divisible_by_sweep_devices_is_a_clear_error():
  mesh = sharding.make_mesh(2)
  with pytest.raises(sharding.MeshError, match=r'3 models cannot be split over '
                     r'2 sweep devices'):
    sharding.check_divisible(3, 32, mesh)
  with pytest.raises(sharding.MeshError, match=r'batch_size=3 must be a positive '
                     r'multiple of the number of data-parallel devices \(2\)'):
    sharding.check_divisible(4, 3, mesh)
  with pytest.raises(sharding.MeshError, match=r'sweep_devices=3 must be a '
                     r'positive divisor of the number of devices \(4\)'):
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


@pytest.fixture(scope='module')
def tiny_sweep(tiny_run, tmp_path_factory):
  """The launcher on configs/lambda_sweep.py:tiny, lambda 0 and 1e6, on 2
  devices (after the shared tiny run, which trained the judges)."""
  del tiny_run
  workdir = tmp_path_factory.mktemp('tiny_sweep')
  result = launch('experiments.main', '--config=configs/lambda_sweep.py:tiny',
                  f'--workdir={workdir}', '--config.lambda_sweep.sweep_devices=2',
                  '--config.lambda_sweep.lams=(0.,1e6)',
                  devices=2, timeout=600)
  assert result.returncode == 0, result.stderr[-3000:]
  return workdir


def test_sweep_config_end_to_end(tiny_sweep):
  tmp_path = tiny_sweep
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

  # One model of the sweep read back alone samples as it does inside the stack
  # (trained on two devices, read on this process's one).
  config = tiny_config(steps=40)
  config.lambda_sweep.lams = (0.0, 1e6)
  model = mnist_model(config)
  paired = sources.load(config.data)
  test_pairs = paired.test.pairs()
  stacked = train_models(config, model, lambda_sweep.model_specs(config),
                         paired, sharding.make_mesh(1),
                         str(tmp_path), may_train=False)
  alone = loading.load_model(str(tmp_path), 'lam1e+06_seed0')
  assert (alone.name, alone.lam, alone.seed) == ('lam1e+06_seed0', 1e6, 0)
  assert alone.model == model and alone.config.lambda_sweep.lams == [0.0, 1e6]
  rng, x = jax.random.key(5), test_pairs.x[:6]
  np.testing.assert_array_equal(
      alone.model.conditional(alone.params, rng, x, 'x', 3),
      model.conditional(stacked[1].state['params'], rng, x, 'x', 3))
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


def run_notebook(path: pathlib.Path, parameters: dict) -> dict:
  """Executes the notebook's code cells in order in one namespace, as a
  kernel would, its `parameters` cell replaced by `parameters`; returns the
  namespace."""
  namespace = {}
  for cell in json.loads(path.read_text())['cells']:
    if cell['cell_type'] != 'code':
      continue
    source = ''.join(cell['source'])
    if 'parameters' in cell['metadata'].get('tags', []):
      source = '\n'.join(f'{name} = {value!r}' for name, value in parameters.items())
    exec(compile(source, str(path), 'exec'), namespace)  # pylint: disable=exec-used
  return namespace


def test_the_notebook_runs_on_a_tiny_run_and_a_tiny_sweep(tiny_run, tiny_sweep,
                                                          monkeypatch):
  monkeypatch.chdir(pathlib.Path(REPO) / 'notebooks')  # where Jupyter starts it
  monkeypatch.setattr(plt, 'show', lambda: plt.close('all'))
  workdir, _ = tiny_run
  out = run_notebook(pathlib.Path(REPO) / 'notebooks' / 'first_look.ipynb',
                     {'WORKDIR': str(workdir), 'MODEL': None,
                      'SWEEP_WORKDIR': str(tiny_sweep)})
  conditions = len(out['conditions'])
  assert conditions == 10  # one test pair per digit
  dim_x, dim_y = out['paired'].x.dim, out['paired'].y.dim
  assert out['y_given_x'].shape == (conditions, out['SAMPLES'], dim_y)
  assert out['x_given_y'].shape == (conditions, out['SAMPLES'], dim_x)
  assert out['grid'].shape == (len(out['STYLE_REFERENCES']), conditions, dim_x)
  for samples in (out['y_given_x'], out['x_given_y'], out['grid']):
    assert np.isfinite(samples).all()
  # The notebook's model is the run's: its samples are the launcher's.
  trained = loading.load_model(str(workdir))
  np.testing.assert_array_equal(
      out['y_given_x'], trained.model.conditional(
          trained.params, jax.random.key(0), out['x'], 'x', out['SAMPLES']))
  # The curve's points are the sweep's: lambda 1e6 spends less rate.
  entries = json.loads((tiny_sweep / 'results.json').read_text())
  assert out['lams'] == [0.0, 1e6]
  np.testing.assert_array_equal(out['rate'][:, 0],
                                [e['mean']['joint/eval/kl/z'] for e in entries])
  assert out['rate'][1, 0] < out['rate'][0, 0]


def test_the_figures_leave_a_notebooks_display_alone():
  # experiments.plots draws outside pyplot: importing it (or the tuning's
  # figure) keeps the backend a notebook chose, so its plt.show() still
  # shows (1.0 switched every process to Agg: the notebook showed nothing).
  code = ("import matplotlib; matplotlib.use('svg'); "
          'import experiments.plots, experiments.many_runs.tuning; '
          'print(matplotlib.get_backend())')
  result = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
  assert result.stdout.strip() == 'svg', result.stderr[-2000:]
