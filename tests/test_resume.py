"""A workdir remembers what it trained: a rerun with another training setting
is refused before anything changes on disk; settings that do not change the
result may differ; `experiments.evaluate` recomputes the outputs alone."""

import importlib
import json
import logging
import os
import pathlib
import shutil

import jax
import numpy as np
import pytest

from conftest import launch, mnist_model, tiny
from experiments import config_checks, run, sources
from wyner_jax import checkpoints, sharding, stack



def snapshot(workdir: pathlib.Path) -> dict[str, bytes]:
  return {str(p.relative_to(workdir)): p.read_bytes()
          for p in sorted(workdir.rglob('*')) if p.is_file()}


@pytest.fixture(scope='module')
def workdir(tiny_run, tmp_path_factory):
  """A copy of the shared tiny run (40 + 40 steps) and its files' bytes."""
  copy = tmp_path_factory.mktemp('resume') / 'tiny'
  shutil.copytree(tiny_run[0], copy)
  return copy, snapshot(copy)


# (field, new value, how the message shows the new and the saved value)
CHANGED = [
    ('loss.lam', 100000.0, '100000.0', '0.0'),
    ('seed', 1, '1', '0'),
    ('learning_rate', 3e-4, '0.0003', '0.001'),
    ('tau.initial', 2.0, '2.0', '1.0'),
    ('tau.decay', 1e-3, '0.001', '0.0005'),
    ('loss.two_eps_sq', 1e-2, '0.01', '0.0001'),
    ('data.seed', 3, '3', '0'),
    ('data.pairs_per_class', 32, '32', '64'),
    ('model.z', (1, 20), '[1, 20]', '[1, 10]'),
    ('model.u', (2, 10), '[2, 10]', '[1, 10]'),
    # Added after 0.4.0: recorded only when it departs from 0.0, 0.4.0's value.
    ('loss.local_aggregate_kl', 10.0, '10.0', '0.0'),
]


@pytest.mark.parametrize('field,value,new,saved', CHANGED,
                         ids=[c[0] for c in CHANGED])
def test_a_changed_training_field_is_refused_naming_it(workdir, field, value,
                                                       new, saved):
  path, before = workdir
  with pytest.raises(checkpoints.CheckpointError) as refused:
    run.train_and_evaluate(tiny(**{field: value}), str(path))
  message = str(refused.value)
  assert message == (
      f'{field} is {new} in this config but {saved} in the checkpoints (step 40 '
      f'of {path}/checkpoints/joint); use a new --workdir, or delete '
      f'{path}/checkpoints to train afresh')
  assert snapshot(path) == before  # no checkpoint or output file touched


def test_launcher_refuses_in_one_line_and_accepts_config_with_a_space(workdir):
  path, before = workdir
  result = launch('experiments.main', '--config', 'configs/synthetic.py:tiny',
                  f'--workdir={path}', '--config.loss.lam=100000')
  assert result.returncode != 0
  assert ('error: loss.lam is 100000.0 in this config but 0.0 in the checkpoints'
          in result.stderr)
  assert 'Traceback' not in result.stderr
  assert snapshot(path) == before


def test_settings_that_do_not_change_the_result_may_differ(workdir):
  path, _ = workdir
  config = tiny(**{'joint.num_steps': 60, 'marginal.num_steps': 80,
                   'checkpoint_every': 7, 'log_every_secs': 3.0,
                   'eval.classifier_steps': 10})
  # The marginal step's encoders were fitted to the decoders of joint step 40.
  with pytest.raises(checkpoints.CheckpointError,
                     match=r'^joint.num_steps is 60 in this config but 40 in the '
                     r'checkpoints \(step 40 of .*/checkpoints/marginal\)'):
    run.check_checkpoints(run.make_plan(config, sources.load(config.data)),
                        str(path))
  config.joint.num_steps = 40
  run.check_checkpoints(run.make_plan(config, sources.load(config.data)),
                        str(path))  # allowed


def test_every_config_field_is_either_recorded_or_free_to_change():
  recorded = (set(config_checks.TRAINING_FIELDS)
              | set(config_checks.BASELINE_FIELDS)
              | {config_checks.LOCAL_ENCODER_FIELD,
                 config_checks.MARGINAL_TIE_FIELD, config_checks.ALPHA_FIELD,
                 config_checks.CROSS_FIELD, config_checks.CROSS_LOCALS_FIELD,
                 config_checks.TWO_EPS_SQ_UNIT_FIELD,
                 config_checks.AUTOENCODER_LEARNING_RATE_FIELD}
              | set(config_checks.MODEL_FIELDS) | {'data.source'})
  free = set(config_checks.RESUMABLE_FIELDS)
  assert not recorded & free
  assert recorded | free == set(config_checks.KNOWN_FIELDS)
  # A data source records the fields that change its pairs, of its own.
  for source in set(sources.SOURCES.values()):
    module = importlib.import_module(f'experiments.sources.{source}')
    assert set(module.TRAINING_FIELDS) <= set(module.FIELDS), source


def test_fewer_steps_than_saved_is_refused(workdir):
  path, before = workdir
  with pytest.raises(checkpoints.CheckpointError,
                     match=r'^joint.num_steps=20 is below step 40 saved in '
                     r'.*/checkpoints/joint: those models trained longer'):
    run.train_and_evaluate(tiny(**{'joint.num_steps': 20}), str(path))
  assert snapshot(path) == before


def test_checkpoints_without_a_record_are_refused(workdir, tmp_path):
  old = tmp_path / 'old'  # as wyner_jax 0.3.0 wrote them: no record
  shutil.copytree(workdir[0], old)
  for record in old.glob('checkpoints/*/*/record'):
    shutil.rmtree(record)
  before = snapshot(old)
  with pytest.raises(checkpoints.CheckpointError,
                     match=r'holds checkpoints without a record of what they '
                     r'trained \(written by wyner_jax 0.3.0 or earlier\)'):
    run.train_and_evaluate(tiny(), str(old))
  assert snapshot(old) == before


def test_more_joint_steps_continue_from_the_saved_step(tmp_path, caplog):
  # In process throughout: launcher runs are compiled differently (conftest).
  config = tiny(**{'joint.num_steps': 40, 'marginal.num_steps': 0})
  paired = sources.load(config.data)
  model = mnist_model(config)
  mesh = sharding.make_mesh(1, jax.devices()[:1])
  specs = [stack.ModelSpec(0.0, 0)]
  longer = str(tmp_path / 'longer')
  plan = lambda config: run.make_plan(config, paired)._replace(
      model=model, specs=specs, mesh=mesh)
  train_models = lambda config, workdir: run.train_models(
      plan(config), paired.train, workdir)
  train_models(config, longer)
  config.joint.num_steps = 50
  run.check_checkpoints(plan(config), longer)  # more steps are allowed
  with caplog.at_level(logging.INFO):
    (continued,) = train_models(config, longer)
  assert 'joint: restored step 40' in caplog.text
  assert checkpoints.saved_steps(os.path.join(longer, 'checkpoints', 'joint'))[0] == 50
  (straight,) = train_models(config, str(tmp_path / 'straight'))
  for group in ('joint', 'decoders'):  # bitwise: 40 + 10 steps = 50 steps
    jax.tree.map(np.testing.assert_array_equal, continued.state['params'][group],
                 straight.state['params'][group])


def test_evaluate_recomputes_the_outputs_from_the_checkpoints(workdir, tmp_path):
  copy = tmp_path / 'evaluated'
  shutil.copytree(workdir[0], copy)
  for name in ('metrics.json', 'figures/style_transfer.png'):
    (copy / name).unlink()
  config = json.loads((copy / 'config.json').read_text())
  result = launch('experiments.evaluate', f'--workdir={copy}')
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'joint step' not in result.stderr  # nothing trained
  after = snapshot(copy)
  assert json.loads(after.pop('config.json')) == config  # read, not rewritten
  expected = dict(workdir[1])
  del expected['config.json']
  assert after == expected  # metrics.json and figures, bytewise
