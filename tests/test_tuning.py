"""The equal-budget tuning (experiments.many_runs.tuning): the same number of
candidates per kind from its search space, selection on validation alone,
the validation split the same for every kind and seed, resumable."""

import json

import numpy as np
import pytest

from configs import tune as tune_config
from experiments import sources
from experiments.many_runs import tuning
from experiments.config_checks import ConfigError
from wyner_jax import kinds, phases


def test_every_kind_has_a_space_and_gets_n_candidates_from_it():
  for kind, entry in phases.REGISTRY.items():
    # Each kind declares its space, the shared dimensions first.
    space = entry.search_space
    assert space[:len(kinds.SHARED_SPACE)] == kinds.SHARED_SPACE, kind
    drawn = tuning.settings(kind, 8, draw_seed=0)
    assert len(drawn) == 8 and drawn[0] == {}
    assert drawn == tuning.settings(kind, 8, draw_seed=0)  # a function of the seed
    allowed = {}
    for _, options in space:
      for option in options:
        for path, value in option.items():
          allowed.setdefault(path, []).append(value)
    assert len({json.dumps(s, sort_keys=True) for s in drawn}) == 8  # distinct
    for setting in drawn[1:]:
      assert set(setting) == set(allowed)
      assert all(value in allowed[path] for path, value in setting.items())


def test_every_candidate_config_is_valid_and_scaled():
  from experiments import config_checks  # pylint: disable=import-outside-toplevel
  config = tune_config.get_config()
  for kind in phases.KINDS:
    for setting in tuning.settings(kind, 8, draw_seed=0):
      run_config = tuning.with_setting(config, kind, setting, 0.5)
      config_checks.validate(run_config)
      assert run_config.model.kind == kind and 'tune' not in run_config
      assert run_config.joint.num_steps == config.joint.num_steps // 2


def test_selection_reads_validation_only():
  # Test metrics that disagree with validation's must not move the choice.
  def metrics(val_acc, val_fd, test_acc, test_fd):
    out = {}
    for prefix, acc, fd in (('val/', val_acc, val_fd), ('eval/', test_acc, test_fd)):
      for direction, side in (('y_given_x', 'y'), ('x_given_y', 'x')):
        out[f'{prefix}accuracy_{direction}'] = acc
        out[f'{prefix}fd_per_condition_{direction}'] = fd
        out[f'{prefix}fd_per_condition_floor_{side}'] = 10.0
    return out
  runs = [metrics(0.80, 30.0, 0.95, 10.0),  # best on test, not on validation
          metrics(0.81, 20.0, 0.50, 90.0)]
  candidates = [{'accuracy': tuning.mean_accuracy(m), 'fd_ratio': tuning.fd_ratio(m)}
                for m in runs]
  assert tuning.select(candidates) == 1
  np.testing.assert_allclose(candidates[1]['fd_ratio'], 2.0)


def test_selection_trades_fd_only_within_the_accuracy_tolerance():
  candidates = [{'accuracy': 0.90, 'fd_ratio': 5.0},
                {'accuracy': 0.88, 'fd_ratio': 2.0},   # within 0.03: chosen
                {'accuracy': 0.50, 'fd_ratio': 1.1},   # far less accurate
                {'accuracy': 0.89, 'fd_ratio': float('nan')}]
  assert tuning.select(candidates) == 1


def test_the_validation_split_is_the_same_for_every_kind_and_seed():
  config = tune_config.get_config('tiny')
  splits = []
  for kind in ('wyner', 'cvae', 'mmvae'):
    for seed in (0, 3):
      run_config = tuning.with_setting(config, kind, {'seed': seed})
      splits.append(sources.load(run_config.data).validation)
  for split in splits[1:]:
    np.testing.assert_array_equal(split.index_x, splits[0].index_x)
    np.testing.assert_array_equal(split.images_x, splits[0].images_x)


def test_a_tuning_needs_a_validation_split():
  config = tune_config.get_config('tiny')
  config.data.validation_fraction = 0.0
  with pytest.raises(ConfigError, match='validation_fraction'):
    tuning.check(config)


def test_frontier_keeps_the_points_nothing_beats():
  points = np.array([[0.9, 3.0], [0.8, 1.0], [0.7, 2.0], [0.95, 5.0]])
  np.testing.assert_array_equal(tuning.frontier(points), [1, 0, 3])


def test_a_tiny_tuning_selects_on_validation_reports_test_and_resumes(tmp_path):
  config = tune_config.get_config('tiny')
  config.data.validation_fraction = 0.3  # enough per class for the FD
  config.tune.kinds = ('cvae',)
  config.tune.seeds = (0,)
  out = tuning.run_tuning(config, str(tmp_path))
  entry = out['kinds']['cvae']
  assert entry['selected'] == tuning.select(entry['candidates'])
  for candidate in entry['candidates']:
    assert all(k.startswith('val/') for k in candidate['validation'])
    written = json.loads((tmp_path / 'cvae' / f"candidate{candidate['index']}"
                          / 'metrics.json').read_text())
    assert not any('eval/' in k for k in written)  # no test pair read
    assert np.isfinite(candidate['fd_ratio'])
  assert 'eval/accuracy_y_given_x' in entry['final']['mean']
  assert (tmp_path / 'tuning.png').exists() and (tmp_path / 'tuning.md').exists()
  again = tuning.run_tuning(config, str(tmp_path))  # reads the candidates back
  for first, read in zip(entry['candidates'], again['kinds']['cvae']['candidates']):
    assert read['validation'] == first['validation']  # bitwise, not retrained
