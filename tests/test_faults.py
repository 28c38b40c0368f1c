"""Bad input gets one clear error; damaged or foreign checkpoints are handled;
non-finite training stops without saving; SIGTERM saves, then stops."""

import os
import pathlib
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from configs import gaussian, sweep_uv
from conftest import REPO, env, launch_tiny, mnist_model, tiny, wyner_phases
from experiments import cli, config_checks, data, run, sources
from experiments.many_runs import size_sweep
from wyner_jax import checkpoints, errors, latents, preemption, sharding, stack, train

BAD_CONFIGS = [
    ('model.z', (0, 10), r'model.z=\(0, 10\) is not allowed; use \(N, K\): N >= 1'),
    ('model.z', (1, 1), r'model.z=\(1, 1\) is not allowed.*K = 1 carries no information'),
    ('model.z', (0, 0), r'model.z=\(0, 0\) is not allowed'),
    ('model.u', (0, 10), r'model.u=\(0, 10\) is not allowed.*or \(0, 0\) for none'),
    ('model.v', (2, 0), r'model.v=\(2, 0\) is not allowed'),
    ('model.z', (1.5, 10), r'model.z=\(1.5, 10\) is not allowed'),
    ('model.wrapper', 'pixels', r"model.wrapper='pixels' is not allowed; allowed: none, conv"),
    ('model.code_size', 0, r'model.code_size=0 is not allowed'),
    ('autoencoder.num_steps', -1, r'autoencoder.num_steps=-1 is not allowed'),
    ('autoencoder.learning_rate', 0.0,
     r'autoencoder.learning_rate=0.0 is not allowed; use a number > 0'),
    ('loss.lam', -0.1, r'loss.lam=-0.1 is not allowed; use a number >= 0'),
    ('loss.two_eps_sq', 0.0, r'loss.two_eps_sq=0.0 is not allowed; use a number > 0'),
    ('loss.two_eps_sq_unit', 'variance', r"loss.two_eps_sq_unit='variance' is not "
     r'allowed; allowed: absolute, total_variance'),
    ('loss.local_aggregate_kl', -1.0,
     r'loss.local_aggregate_kl=-1.0 is not allowed; use a number >= 0'),
    ('tau.initial', 0.0, r'tau.initial=0.0 is not allowed; use a number > 0'),
    ('tau.minimum', 0.0, r'tau.minimum=0.0 is not allowed; use a number > 0'),
    ('tau.decay', -1.0, r'tau.decay=-1.0 is not allowed; use a number >= 0'),
    ('batch_size', 0, r'batch_size=0 is not allowed; use an integer >= 1'),
    ('joint.num_steps', -1, r'joint.num_steps=-1 is not allowed; use an integer >= 0'),
    ('data.source', 'mnist', r"data.source='mnist' is not allowed; allowed: embedded, tfds"),
    ('learning_rate', 0.0, r'learning_rate=0.0 is not allowed; use a number > 0'),
    ('data.pairs_per_class', 0, r'data.pairs_per_class=0 is not allowed'),
    ('lambda_sweep.lams', (0.0, -1.0), r'lambda_sweep.lams=\(0.0, -1.0\) is not allowed'),
    ('lambda_sweep.seeds', (0, 1, 2), r'give one seed per lambda \(2\) or none'),
    ('model.latent_type', 'normal',
     r"model.latent_type='normal' is not allowed; allowed: categorical, gaussian"),
]

# Gaussian latents are sized in dimensions, (D,).
BAD_GAUSSIAN_SIZES = [
    ('model.z', (1, 10), r"model.z=\(1, 10\) is not allowed; use \(D,\): D >= 1 "
     r"dimensions with latent_type='gaussian'$"),
    ('model.z', (0,), r'model.z=\(0,\) is not allowed'),
    ('model.u', (-1,), r'model.u=\(-1,\) is not allowed.*or \(0,\) for none'),
]


@pytest.mark.parametrize('path,value,message', BAD_GAUSSIAN_SIZES,
                         ids=[f'{p}={v}' for p, v, _ in BAD_GAUSSIAN_SIZES])
def test_bad_gaussian_sizes_are_named(path, value, message):
  config = gaussian.get_config('tiny')
  config.model[path.split('.')[1]] = value
  with pytest.raises(config_checks.ConfigError, match=message):
    config_checks.validate(config)
  config.model[path.split('.')[1]] = (0,) if path != 'model.z' else (3,)
  config_checks.validate(config)  # a valid size passes


def test_aggregate_kl_with_gaussian_latents_is_refused():
  config = gaussian.get_config('tiny')
  config.loss.local_aggregate_kl = 10.0
  with pytest.raises(config_checks.ConfigError,
                     match=r'loss.local_aggregate_kl=10.0 is not allowed; it '
                     r'needs categorical local latents'):
    config_checks.validate(config)


def test_local_latents_of_another_family_than_z():
  config = tiny(**{'model.local_type': 'gaussian'})
  with pytest.raises(config_checks.ConfigError,
                     match=r"model.u=\(1, 10\) is not allowed; use \(D,\)"):
    config_checks.validate(config)
  config.model.u, config.model.v = (2,), (2,)
  config_checks.validate(config)
  model = mnist_model(config)
  assert (model.latent_z, model.latent_u) == (latents.Categorical(1, 10),
                                              latents.Gaussian(2))
  config.model.local_type = 'normal'
  with pytest.raises(config_checks.ConfigError,
                     match=r"model.local_type='normal' is not allowed; allowed: ''"):
    config_checks.validate(config)


@pytest.mark.parametrize('path,value,message', BAD_CONFIGS,
                         ids=[f'{p}={v}' for p, v, _ in BAD_CONFIGS])
def test_bad_config_values_name_field_value_and_what_is_allowed(path, value,
                                                                 message):
  config = tiny(**{path: value})
  if path == 'lambda_sweep.seeds':
    config.lambda_sweep.lams = (0.0, 1.0)
  with pytest.raises(config_checks.ConfigError, match=message):
    config_checks.validate(config)


def test_unknown_config_field_is_named():
  config = tiny()
  config.learning_rte = 1e-3
  with pytest.raises(config_checks.ConfigError,
                     match=r"unknown config field 'learning_rte'; allowed fields:"):
    config_checks.validate(config)


def test_workdir_that_is_a_file_or_unwritable(tmp_path):
  afile = tmp_path / 'afile'
  afile.write_text('x')
  with pytest.raises(config_checks.ConfigError, match=r'is a file; give a directory'):
    config_checks.check_workdir(str(afile))
  with pytest.raises(config_checks.ConfigError,
                     match=r'is not writable \(Not a directory\)'):
    config_checks.check_workdir(str(afile / 'sub'))


def test_config_file_is_found_with_equals_or_a_space():
  assert cli.config_file_argument(['main', '--config=configs/a.py:tiny']) == 'configs/a.py:tiny'
  assert cli.config_file_argument(['main', '--workdir=w', '--config', 'configs/a.py',
                                   '--config.seed=1']) == 'configs/a.py'


@pytest.mark.parametrize('flags,message', [
    (('--config.model.zz=1',),
     "error: --config.model.zz=1: 'model.zz' is not a config field; fields of "
     'model: code_size, conditional_z, depth, dtype, expert_z, hidden, kind, '
     'latent_type, local_encoder, local_type, logit_bound, prior, u, v, '
     'wrapper, z'),
    (('--config.learning_rate=abc',),
     "error: flag --config.learning_rate=abc: could not convert string to float"),
], ids=['unknown field', 'bad value'])
def test_launcher_user_errors_are_one_line(tmp_path, flags, message):
  result = launch_tiny(tmp_path / 'w', *flags)
  assert result.returncode != 0
  assert message in result.stderr
  assert result.stderr.count(message.removeprefix('error: ')) == 1  # printed once
  assert 'Traceback' not in result.stderr


def test_a_missing_tfds_extra_is_one_line_naming_the_extra(tmp_path):
  # A tensorflow_datasets that cannot be imported, first on the path.
  fake = tmp_path / 'hidden' / 'tensorflow_datasets'
  fake.mkdir(parents=True)
  (fake / '__init__.py').write_text(
      "raise ModuleNotFoundError(\"No module named 'tensorflow_datasets'\", "
      "name='tensorflow_datasets')\n")
  result = subprocess.run(
      [sys.executable, '-m', 'experiments.main', '--config=configs/synthetic.py:tfds',
       f'--workdir={tmp_path / "w"}'], cwd=REPO, capture_output=True, text=True,
      env={**env(), 'PYTHONPATH': f'{fake.parent}{os.pathsep}{REPO}'}, timeout=300)
  assert result.returncode == 1
  message = ("error: data.source='tfds' needs the tfds extra (tensorflow_datasets "
             'is not installed): pip install -e ".[tfds]"')
  assert message in result.stderr and result.stderr.count('needs the tfds extra') == 1
  assert 'Traceback' not in result.stderr


def test_a_missing_experiments_extra_is_one_line_naming_the_extra():
  hide = ("import runpy, sys; sys.modules['mlxtend'] = sys.modules['skimage'] = None; "
          "runpy.run_module('experiments.main', run_name='__main__')")
  result = subprocess.run([sys.executable, '-c', hide], cwd=REPO, env=env(),
                          capture_output=True, text=True, timeout=300)
  assert result.returncode == 1
  assert result.stderr.strip() == (
      'error: experiments/ needs the experiments extra (mlxtend, scikit-image not '
      'installed): pip install -e ".[experiments]"')


def test_every_user_error_is_one_wyner_error_the_launcher_catches(tmp_path):
  for error in (config_checks.ConfigError, data.DataError, sharding.MeshError,
                checkpoints.CheckpointError, errors.NonFiniteError):
    assert issubclass(error, errors.WynerError), error
  with pytest.raises(errors.WynerError,
                     match=r'^data.pairs_per_class=481 is not allowed: these '
                     r'images give at most 480 pairs per class'):
    run.train_and_evaluate(tiny(**{'data.pairs_per_class': 481}), str(tmp_path))


def test_debug_flag_shows_the_traceback(tmp_path):
  afile = tmp_path / 'afile'
  afile.write_text('x')
  result = launch_tiny(afile)
  assert result.returncode != 0 and 'Traceback' not in result.stderr
  assert f'error: --workdir={afile} is a file' in result.stderr
  assert result.stderr.count('is a file') == 1  # printed once, not logged too
  result = launch_tiny(afile, '--debug')
  assert result.returncode != 0
  assert 'Traceback' in result.stderr and 'ConfigError' in result.stderr


@pytest.fixture(scope='module')
def pairs():
  """Add-1 MNIST with 40 train pairs per class."""
  return sources.load(sources.data_config('embedded', pairs_per_class=40))


def train_joint(config, workdir, pairs, record=None):
  """The joint step of one model; returns its final stacked state."""
  model = mnist_model(config)
  params = model.init(jax.random.key(0))
  mesh = sharding.make_mesh(1, jax.devices()[:1])
  dataset = run.place(pairs.train, mesh)
  state, _ = train.train_phase(
      wyner_phases(config, model)['joint'], config,
      lambda: stack.stack([{'joint': params['joint'],
                            'decoders': params['decoders']}]),
      None, dataset, [stack.ModelSpec(0.0, 0)], run.key_data([jax.random.key(2)]),
      mesh, str(workdir), record or run.make_plan(config, pairs).records['joint'])
  return state


def test_checkpoints_of_another_model_shape_are_refused(tmp_path, pairs):
  # A record without the model's sizes (another project's, say): the saved
  # shapes still refuse a different model.
  record = checkpoints.TrainingRecord({}, {}, {})
  config = tiny(**{'joint.num_steps': 2, 'checkpoint_every': 2})
  train_joint(config, tmp_path, pairs, record)
  config.model.z = (1, 20)
  with pytest.raises(checkpoints.CheckpointError,
                     match=r'holds checkpoints of a different model: params/.* '
                     r'has shape \(1, 20, 64\) there, \(1, 30, 64\) in this '
                     r'config.*use a new --workdir'):
    train_joint(config, tmp_path, pairs, record)
  saved = sorted(p.name for p in (tmp_path / 'checkpoints' / 'joint').iterdir())
  assert saved == ['2']  # nothing overwritten


def damage(step_dir: pathlib.Path) -> None:
  """Truncates every file of a saved step, as a full disk or a crash would."""
  for path in step_dir.rglob('*'):
    if path.is_file():
      path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 3])


def test_damaged_checkpoints_fall_back_to_the_newest_intact(tmp_path, pairs,
                                                             caplog):
  config = tiny(**{'joint.num_steps': 4, 'checkpoint_every': 2})
  reference = train_joint(config, tmp_path / 'reference', pairs)
  workdir = tmp_path / 'damaged'
  train_joint(config, workdir, pairs)
  joint_dir = workdir / 'checkpoints' / 'joint'
  damage(joint_dir / '4')
  (joint_dir / '6.orbax-checkpoint-tmp-1').mkdir()  # a save cut short
  resumed = train_joint(config, workdir, pairs)
  assert 'checkpoint step 4 is damaged' in caplog.text
  assert 'resuming from step 2' in caplog.text
  jax.tree.map(np.testing.assert_array_equal, sharding.to_host(resumed),
               sharding.to_host(reference))
  # Every checkpoint damaged: say so, and keep them for inspection.
  for step_dir in joint_dir.glob('[0-9]'):
    damage(step_dir)
  with pytest.raises(checkpoints.CheckpointError,
                     match=r'no intact checkpoint in .*joint: steps 4, 2 are damaged'):
    train_joint(config, workdir, pairs)


def test_non_finite_loss_stops_naming_step_terms_tau_lr_and_saves_nothing(
    tmp_path, pairs):
  config = tiny(**{'joint.num_steps': 3, 'checkpoint_every': 1,
                   'loss.two_eps_sq': 1e-45})  # 1 / 2eps^2 overflows float32
  with pytest.raises(errors.NonFiniteError,
                     match=r'joint step 1: non-finite loss, grad_norm \(tau=1.0, '
                     r'lr=0.001.*\); nothing was saved'):
    train_joint(config, tmp_path, pairs)
  assert not list((tmp_path / 'checkpoints' / 'joint').glob('[0-9]*'))


def test_non_finite_term_is_named_for_its_model():
  metrics = {'loss': np.array([1.0, np.nan]), 'kl/u': np.array([0.5, np.nan]),
             'rec/x': np.array([3.0, 3.0]), 'tau': np.array([0.7, 0.7]),
             'lr': np.array([1e-3, 1e-3])}
  models = [stack.Member('lam0_seed0', 0.0, 0, {k: v[0] for k, v in metrics.items()}),
            stack.Member('lam10_seed0', 10.0, 0, {k: v[1] for k, v in metrics.items()})]
  with pytest.raises(errors.NonFiniteError,
                     match=r'marginal step 9 \(model lam10_seed0\): non-finite '
                     r'loss, kl/u \(tau=0.7, lr=0.001\)'):
    train.check_finite(models, 'marginal', 9)


def test_signal_after_the_save_decision_still_saves_the_reported_step(
    tmp_path, pairs, monkeypatch):
  # The signal lands while step 3 is logged, after that step decided not to
  # save: training must go on to a step that saves, and report that one.
  log_progress = train._log_progress

  def log_then_signal(phase, step, *args):
    log_progress(phase, step, *args)
    if step == 3:
      os.kill(os.getpid(), signal.SIGTERM)

  monkeypatch.setattr(train, '_log_progress', log_then_signal)
  config = tiny(**{'joint.num_steps': 50, 'checkpoint_every': 1000})
  config.log_every_secs = 0.0  # log every step
  with pytest.raises(preemption.Preempted,
                     match=r'SIGTERM: stopped joint at step (\d+)') as stopped:
    train_joint(config, tmp_path, pairs)
  step = int(str(stopped.value).split('at step ')[1].split()[0])
  saved = [p.name for p in (tmp_path / 'checkpoints' / 'joint').iterdir()]
  assert saved == [str(step)] and step > 3


def test_sigterm_saves_the_current_step_and_exits_non_zero(tmp_path):
  process = subprocess.Popen(
      [sys.executable, '-m', 'experiments.main',
       '--config=configs/synthetic.py:tiny', f'--workdir={tmp_path}',
       '--config.joint.num_steps=100000', '--config.checkpoint_every=100000'],
      cwd=REPO, env=env(), stderr=subprocess.PIPE, text=True)
  deadline = time.time() + 120
  for line in process.stderr:  # wait until training runs
    if 'joint: first step (compile) took' in line or time.time() > deadline:
      break
  time.sleep(1.0)
  process.send_signal(signal.SIGTERM)
  rest = process.stderr.read()
  assert process.wait(timeout=60) == 128 + signal.SIGTERM, rest[-3000:]
  assert 'stopped: SIGTERM: stopped joint at step' in rest
  step = int(rest.split('stopped joint at step ')[1].split()[0])
  assert 0 < step < 100000
  saved = [p.name for p in (tmp_path / 'checkpoints' / 'joint').iterdir()]
  assert saved == [str(step)]


def test_sweep_seeds_come_from_sweep_seeds_only(tmp_path):
  config = sweep_uv.get_config('tiny')
  config.sweep.seeds = ()
  with pytest.raises(config_checks.ConfigError,
                     match=r'sweep.seeds must name at least one seed'):
    size_sweep.run_sweep(config, str(tmp_path))
  config = sweep_uv.get_config('tiny')
  config.lambda_sweep.seeds = (0, 1)
  with pytest.raises(config_checks.ConfigError,
                     match=r'takes its seeds from sweep.seeds'):
    size_sweep.run_sweep(config, str(tmp_path))
  assert not list(tmp_path.iterdir())  # refused before anything was written


def test_a_setting_of_gaussian_sizes_names_its_directory():
  # 1.0.0 indexed value[1]: an IndexError for a Gaussian size (D,).
  fields = ('model.u', 'model.v')
  assert size_sweep.setting_dirname(fields, (2, 10)) == 'uv_2x10'
  assert size_sweep.setting_dirname(fields, (8,)) == 'uv_8'
  assert size_sweep.setting_label(fields, (8,)) == '|U|=|V|=(8,)'
