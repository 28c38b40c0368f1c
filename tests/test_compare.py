"""experiments.compare: every kind trained in one harness, the table with
the metrics a model cannot have absent, the shared autoencoder and judges,
and a model of the comparison loaded alone."""

import json
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import launch, tiny
from configs import compare as compare_config
from experiments import config_checks, run, sources
from experiments.many_runs import comparison
from experiments.config_checks import ConfigError
from wyner_jax import checkpoints
from wyner_jax.loading import load_model

# Two kinds of no private latent: no style transfer to measure (the costly
# host-side morphometry), and MVAE has what CVAE lacks.
KINDS = ('mvae', 'cvae')


@pytest.fixture(scope='module')
def compared(tiny_run, tmp_path_factory):
  """The comparison launcher on KINDS, after the shared tiny run (its data
  and judges are the tiny config's: the run reads them from the session's
  cache)."""
  del tiny_run
  workdir = tmp_path_factory.mktemp('compare')
  result = launch('experiments.compare', '--config=configs/compare.py:tiny',
                  f'--workdir={workdir}',
                  f'--config.compare.kinds={KINDS!r}'.replace(' ', ''))
  assert result.returncode == 0, result.stderr[-3000:]
  return workdir, result.stderr


def test_the_table_has_every_kind_and_leaves_what_a_model_lacks_absent(compared):
  workdir, _ = compared
  entries = json.loads((workdir / 'results.json').read_text())
  assert [e['kind'] for e in entries] == list(KINDS)
  by_kind = {e['kind']: e for e in entries}
  for entry in entries:
    assert [row['seed'] for row in entry['seeds']] == [0, 1]
    assert 'eval/accuracy_y_given_x' in entry['mean']
  mvae, cvae = by_kind['mvae']['mean'], by_kind['cvae']['mean']
  for key in ('eval/joint_coherence', 'eval/latent_probe_accuracy',
              'eval/fd_joint_y', 'eval/rate_z'):
    assert key in mvae and key not in cvae, key
  assert not any('style' in key for key in list(mvae) + list(cvae))
  rows = (workdir / 'results.md').read_text().splitlines()
  assert len(rows) == 2 + len(KINDS)
  cvae_row = [r for r in rows if r.startswith('| cvae |')][0]
  # joint coherence, FD joint y, the three style-transfer columns, probe,
  # rate; and both AE FDs and AE per-condition FDs (the tiny config trains
  # no feature autoencoder)
  assert cvae_row.count('n/a') == 11, cvae_row
  assert (workdir / 'comparison.png').read_bytes()[:4] == b'\x89PNG'


def test_the_evaluation_of_later_models_carries_an_eta(compared):
  assert run.evaluation_eta(None, 3) == ''
  assert run.evaluation_eta(12.4, 3) == (
      "; evaluation ETA ~0m37s (3 left at the last model's 12 s)")
  _, stderr = compared
  # Each kind's run: its first model has no estimate, its second one.
  assert len(re.findall(r'evaluating seed0 \(1 of 2\): [^;\n]*figures\n',
                        stderr)) == len(KINDS)
  assert len(re.findall(r"evaluating seed1 \(2 of 2\): .*figures; evaluation "
                        r"ETA ~\dm\d\ds \(1 left at the last model's \d+ s\)",
                        stderr)) == len(KINDS)


def test_the_kinds_share_one_autoencoder_and_one_set_of_judges(compared):
  workdir, stderr = compared
  assert 'checkpoint cache: ' in stderr and 'copied from' in stderr
  first, second = (workdir / kind / 'checkpoints' / 'autoencoder'
                   for kind in KINDS)
  assert checkpoints.saved_steps(str(first)) == checkpoints.saved_steps(
      str(second))
  # One set of judges, the cache's: none built twice, none in the workdirs.
  built = re.findall(r'judge cache: built (\S+)', stderr)
  assert len(built) == len(set(built))
  assert len(re.findall(r'judge cache: (?:built|read) ', stderr)) == len(KINDS)
  assert not list(workdir.glob('**/*.msgpack'))


def test_a_model_of_the_comparison_loaded_alone_measures_as_in_the_stack(compared):
  workdir, _ = compared
  trained = load_model(str(workdir / 'mvae'), 'seed1')
  # A kind without lambda is named and loaded by its seed alone.
  assert trained.seed == 1 and trained.config.model.kind == 'mvae'
  assert trained.lam is None and trained.name == 'seed1'
  metrics = json.loads((workdir / 'mvae' / 'models' / 'seed1'
                        / 'metrics.json').read_text())
  config = trained.config
  test = sources.load(config.data).test.pairs()
  rates = trained.model.rates(trained.params, jnp.asarray(test.x),
                              jnp.asarray(test.y))
  # The launcher compiled at -O0 (conftest): equal up to float rounding.
  assert set(rates) == {'z'}
  np.testing.assert_allclose(float(rates['z']), metrics['eval/rate_z'],
                             rtol=1e-4)
  samples = trained.model.conditional(trained.params, jax.random.key(0),
                                      jnp.asarray(test.x[:3]), 'x', 2)
  assert samples.shape == (3, 2, 784)
  assert 0.0 <= float(samples.min()) and float(samples.max()) <= 1.0


@pytest.mark.parametrize('fields, message', [
    ({'model.kind': 'vae'}, "model.kind='vae' is not allowed; allowed: wyner, "
     'jmvae, cvae, vcca_private, mvae, mmvae'),
    ({'model.kind': 'jmvae', 'lambda_sweep.lams': (0.0, 1.0)},
     "lambda weighs the Wyner VAE's Z; model.kind='jmvae' has no lambda"),
    ({'model.kind': 'mvae', 'model.expert_z': (0,)},
     r"model.expert_z=\(0,\) is not allowed"),
    ({'model.kind': 'cvae', 'model.local_encoder': 'z_side'},
     "use 'pair' with model.kind='cvae'"),
    ({'model.local_encoder': 'zx'},
     "model.local_encoder='zx' is not allowed; allowed: pair, z_side"),
    ({'loss.cross_locals': 'joint'},
     "loss.cross_locals='joint' is not allowed; allowed: posterior, prior"),
])
def test_model_fields_are_checked_up_front(fields, message):
  with pytest.raises(ConfigError, match=message):
    config_checks.validate(tiny(**fields))


def test_a_comparison_config_is_checked_before_any_training(tmp_path):
  config = compare_config.get_config('tiny')
  config.compare.kinds = ('wyner', 'wyner')
  with pytest.raises(ConfigError, match='distinct model kinds'):
    comparison.run_comparison(config, str(tmp_path))
  config.compare.kinds, config.compare.seeds = ('wyner',), ()
  with pytest.raises(ConfigError, match='at least one seed'):
    comparison.run_comparison(config, str(tmp_path))
  assert not list(tmp_path.iterdir())


def test_only_baselines_and_z_side_record_the_new_fields():
  assert 'model.kind' not in config_checks.training_fields(tiny(), 'joint')
  fields = config_checks.training_fields(tiny(**{'model.kind': 'mmvae'}),
                                         'joint')
  assert fields['model.kind'] == 'mmvae' and fields['model.expert_z'] == (20,)
  fields = config_checks.training_fields(
      tiny(**{'model.local_encoder': 'z_side'}), 'marginal')
  assert fields['model.local_encoder'] == 'z_side'


def test_the_paired_comparison_takes_every_kind_and_the_cross_path_is_the_wyner_vaes():
  # configs/paired.py turns the cross path on; the other kinds of a
  # comparison on it ignore the weight (as they ignore lambda) and do not
  # record it, so their workdirs resume whatever it is.
  config = compare_config.get_config('paired')
  config.data.path = '/nowhere.npz'  # checked when the data are read
  assert config.loss.cross_weight > 0
  for kind in config.compare.kinds:
    config.model.kind = kind
    config_checks.validate(config)
    fields = config_checks.training_fields(config, 'joint')
    assert (config_checks.CROSS_FIELD in fields) == (kind == 'wyner'), kind
    # The cross path's locals ('prior' here): the Wyner VAE's, recorded only
    # when not 'posterior', so that the cross path's workdirs before the
    # field resume.
    assert (fields.get(config_checks.CROSS_LOCALS_FIELD) == 'prior') == (
        kind == 'wyner'), kind
    config.loss.cross_locals = 'posterior'
    fields = config_checks.training_fields(config, 'joint')
    assert config_checks.CROSS_LOCALS_FIELD not in fields
    config.loss.cross_locals = 'prior'
