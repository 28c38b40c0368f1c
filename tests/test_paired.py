"""Your own arrays (configs/paired.py): a known common factor goes into Z and
not into U, V; a bad file is refused in one line before anything is written."""

import json
import os

import numpy as np
import pytest

from configs import paired as paired_config
from conftest import launch
from experiments import config_checks, data, evaluate, plots, run, sources
from experiments.judging import metrics
from wyner_jax import checkpoints

CLASSES = 5  # of the common factor c
STYLES = 4  # of each side's own factor


def common_factor_arrays(rng: np.random.Generator, num: int, labelled: bool):
  """x [num, 12] and y [num, 20]: the class c of each pair and each side's
  own style s (independent of c and of the other side's), one-hot and
  scaled, plus small noise."""
  c = rng.integers(CLASSES, size=num)
  def side(width):
    style = rng.integers(STYLES, size=num)
    values = 0.3 * rng.normal(0.0, 1.0, (num, width)).astype(np.float32)
    values[:, :CLASSES] += 3.0 * np.eye(CLASSES)[c]
    values[:, CLASSES:CLASSES + STYLES] += 3.0 * np.eye(STYLES)[style]
    return values
  out = {'x': side(12), 'y': side(20)}
  if labelled:
    out['label'] = c.astype(np.int64)
  return out


def write_npz(path, labelled=True, **changes):
  rng = np.random.default_rng(0)
  train, test = (common_factor_arrays(rng, n, labelled) for n in (2000, 500))
  arrays = {f'{k}_train': v for k, v in train.items()}
  arrays.update({f'{k}_test': v for k, v in test.items()})
  arrays.update(changes)
  arrays = {k: v for k, v in arrays.items() if v is not None}
  np.savez(path, **arrays)
  return str(path)


def config_for(path, steps=20):
  """configs/paired.py:tiny with local latents of the styles' size."""
  config = paired_config.get_config('tiny')
  config.data.path = path
  config.model.u = config.model.v = (1, STYLES)
  config.log_every_secs = 1e9
  config.joint.num_steps = config.marginal.num_steps = steps
  config.checkpoint_every = steps
  return config


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """The launcher on configs/paired.py:tiny with |U| = |V| = (1, 4) and 600
  steps per phase: (metrics.json, workdir)."""
  root = tmp_path_factory.mktemp('paired')
  path = write_npz(root / 'pairs.npz')
  result = launch('experiments.main', '--config=configs/paired.py:tiny',
                  f'--config.data.path={path}', f'--workdir={root / "run"}',
                  f'--config.model.u=(1,{STYLES})', f'--config.model.v=(1,{STYLES})',
                  '--config.joint.num_steps=600', '--config.marginal.num_steps=600',
                  '--config.checkpoint_every=600')
  assert result.returncode == 0, result.stderr[-3000:]
  return json.loads((root / 'run' / 'metrics.json').read_text()), root / 'run'


def test_the_common_factor_goes_into_z_and_not_into_u_v(trained):
  metrics, workdir = trained
  sides = json.loads((workdir / 'config.json').read_text())['data']
  assert sides['path'].endswith('pairs.npz')
  # Z carries the class: a probe reads it from z ~ q(z|x), and y decoded from
  # the encoder's z with a random v has the paired class.
  assert metrics['eval/latent_probe_accuracy'] > 0.9, metrics
  assert metrics['eval/accuracy_z_encoded_v_random'] > 0.9, metrics
  assert metrics['eval/accuracy_y_given_x'] > 0.9, metrics
  # V does not: with z random and v from the encoder, chance (1/5; measured
  # 0.19, and 0.34 after 300 steps instead of 600).
  assert metrics['eval/accuracy_z_random_v_encoded'] < 0.3, metrics
  assert 'eval/style_transfer_slant_corr' not in metrics  # no digits here
  assert 'eval/ae_fd_real' not in metrics  # no images: no ae_ reading
  for name in ('conditional_generation', 'style_transfer', 'joint_samples'):
    assert (workdir / 'figures' / f'{name}.png').read_bytes()[:4] == b'\x89PNG'


def test_without_labels_a_run_reports_losses_rates_and_samples(tmp_path):
  path = write_npz(tmp_path / 'unlabelled.npz', labelled=False)
  (result,) = run.train_and_evaluate(config_for(path), str(tmp_path / 'run'))
  metrics = json.loads((tmp_path / 'run' / 'metrics.json').read_text())
  assert metrics == result.metrics
  assert {'joint/eval/rec/x', 'joint/eval/rec/y', 'eval/rate_z',
          'marginal/eval/loss'} <= set(metrics)
  assert not any('accuracy' in key for key in metrics)
  assert (tmp_path / 'run' / 'figures' / 'joint_samples.png').exists()
  # The file moved: the checksum names the data, so the workdir's
  # checkpoints pass the resume check at the new path and evaluate alike.
  moved = str(tmp_path / 'moved.npz')
  os.rename(path, moved)
  (again,) = evaluate.evaluate_workdir(str(tmp_path / 'run'), moved)
  assert again.metrics == result.metrics
  # A 1.0.0 record, which held the path, resumes too.
  assert 'data.path' in config_checks.RETIRED_FIELDS
  assert checkpoints.record_mismatch(
      {'data.path': path, 'seed': 0}, {'seed': 0},
      config_checks.RETIRED_FIELDS) is None
  os.rename(moved, path)
  # Other arrays under the same path: the checkpoints are refused, not resumed.
  write_npz(tmp_path / 'unlabelled.npz', labelled=False,
            x_test=np.zeros((500, 12), np.float32))
  with pytest.raises(checkpoints.CheckpointError,
                     match=r'^the data differ from those step 20 of .* was '
                     r'trained on \(checksum'):
    run.train_and_evaluate(config_for(path), str(tmp_path / 'run'))


BAD = {
    'missing key': ({'y_test': None}, r'no key y_test; the file needs x_train, '
                    r'y_train, x_test, y_test'),
    'mismatched pairs': ({'y_train': np.zeros((1999, 20), np.float32)},
                         r'y_train has 1999 pairs, x_train 2000'),
    'misshapen test': ({'x_test': np.zeros((500, 13), np.float32)},
                       r'x_test has examples of shape \(13,\), x_train of \(12,\)'),
    'NaN': ({'x_train': np.full((2000, 12), np.nan, np.float32)},
            r'x_train holds NaN or infinite values'),
    'text': ({'y_test': np.array(['a'] * 500)}, r'y_test has dtype <U1; use '
             r'integers or floats'),
    'object array': ({'x_train': np.array([{'a': 1}] * 2000, dtype=object)},
                     r'x_train is an object array'),
    'fractional labels': ({'label_test': np.full(500, 0.5)},
                          r'label_test has shape \(500,\) and dtype float64'),
    'one split labelled': ({'label_test': None}, r'label_train without '
                           r'label_test'),
    'misspelt key': ({'label_trian': np.zeros(2000, np.int64)},
                     r'unknown key label_trian; the file holds x_train'),
    'one class': ({'label_train': np.zeros(2000, np.int64),
                   'label_test': np.zeros(500, np.int64)},
                  r'label_train holds one class \(0\); labels need at least 2'),
    'a label of a million': ({'label_test': np.full(500, 10**6)},
                             r'labels run to 1000000 but label_train has no '
                             r'pair of class 5, 6, 7, 8, 9, \.\.\. \(999996 of '
                             r'1000001 missing\)'),
    'one number per pair': ({'x_train': np.zeros(2000, np.float32),
                             'x_test': np.zeros(500, np.float32)},
                            r'x_train has shape \(2000,\); a side needs '
                            r'\[pairs, \.\.\.\] .* reshape to \[2000, 1\]'),
    'a side of width 0': ({'y_train': np.zeros((2000, 0), np.float32),
                           'y_test': np.zeros((500, 0), np.float32)},
                          r'y_train has shape \(2000, 0\); a side needs'),
    'beyond float32': ({'x_test': np.full((500, 12), 1e39)},
                       r'x_test holds values up to 1e\+39, beyond float32'),
    'an .npy named .npz': ({}, r"holds one array, not an .npz file"),
}


@pytest.mark.parametrize('case', sorted(BAD))
def test_a_bad_file_is_refused_in_one_line_before_anything_is_written(
    case, tmp_path):
  changes, message = BAD[case]
  if case == 'object array':  # np.savez would pickle it: as a user's file does
    path = tmp_path / 'bad.npz'
    write_npz(path, **changes)
  elif case == 'an .npy named .npz':
    path = tmp_path / 'bad.npz'
    with open(path, 'wb') as f:
      np.save(f, np.zeros((2000, 12), np.float32))
  else:
    path = write_npz(tmp_path / 'bad.npz', **changes)
  workdir = tmp_path / 'run'
  with pytest.raises(data.DataError, match=message) as raised:
    run.train_and_evaluate(config_for(str(path)), str(workdir))
  assert '\n' not in str(raised.value)
  assert not os.listdir(workdir)


def test_8_bit_sides_are_scaled_to_0_1_as_the_embedded_images_are(tmp_path):
  rng = np.random.default_rng(1)
  images = {k: rng.integers(0, 256, (n, 4, 4), dtype=np.uint8)
            for k, n in (('x_train', 2000), ('x_test', 500))}
  path = write_npz(tmp_path / 'bytes.npz', **images)
  config = config_for(path)
  pairs = sources.load(config.data)
  np.testing.assert_array_equal(pairs.train.pairs().x, images['x_train'].reshape(
      2000, 16).astype(np.float32) / 255)
  assert pairs.x.bounded and pairs.test.pairs().x.max() <= 1.0


def test_sides_too_wide_to_evaluate_are_refused_before_training(tmp_path):
  paired = sources.load(config_for(write_npz(tmp_path / 'pairs.npz')).data)
  needed = metrics.evaluation_bytes(paired)
  # 2,000 + 500 pairs of 12 + 20 values, 2,000 joint samples of both sides.
  assert needed == 4 * (2000 * 32 + 2500 * 32)
  run.check_memory(paired)  # this machine holds them
  with pytest.raises(data.DataError, match=r'^sides of 12 and 20 values per '
                     r'example: evaluating them would hold about 0.5 MiB .* more '
                     r"than this machine's 0.1 MiB; downsample"):
    run.check_memory(paired, available=needed // 4)


def test_the_launcher_prints_the_bad_key_in_one_line(tmp_path):
  path = write_npz(tmp_path / 'bad.npz', y_train=np.zeros((3, 20)))
  result = launch('experiments.main', '--config=configs/paired.py:tiny',
                  f'--config.data.path={path}', f'--workdir={tmp_path / "run"}')
  assert result.returncode == 1, result.stderr[-2000:]
  lines = [l for l in result.stderr.splitlines() if l.startswith('error:')]
  assert lines == [f'error: {path}: y_train has 3 pairs, x_train 2000; every '
                   'key of a split needs one entry per pair'], result.stderr[-2000:]
  assert not os.listdir(tmp_path / 'run')


def test_the_defaults_keep_u_and_v_alive_and_the_class_in_z(tmp_path):
  # configs/paired.py's defaults themselves (not :tiny), shortened: on a
  # pair with a known shared class and a style per side, no latent
  # collapses (1.0's defaults gave U and V one code each on real pairs).
  config = paired_config.get_config()
  config.data.path = write_npz(tmp_path / 'pairs.npz')
  # 80 + 40 steps (measured: rates of U, V 3.8, 3.8 nats, of Z 26.7;
  # accuracies 1.0; V alone 0.19); compiling its programs takes most of it.
  config.joint.num_steps, config.marginal.num_steps = 80, 40
  config.checkpoint_every, config.log_every_secs = 80, 1e9
  config.eval.classifier_steps = 300
  metrics = run.train_and_evaluate(config, str(tmp_path / 'run'))[0].metrics
  assert metrics['eval/rate_u'] > 0.5 and metrics['eval/rate_v'] > 0.5, metrics
  assert metrics['eval/rate_z'] >= np.log(CLASSES), metrics
  assert metrics['eval/accuracy_y_given_x'] > 0.9, metrics
  assert metrics['eval/accuracy_x_given_y'] > 0.9, metrics
  assert metrics['eval/accuracy_z_random_v_encoded'] < 0.3, metrics  # V: chance
  # 2 eps^2 of each side: 2e-3 of its total variance over the train pairs
  # (these arrays' values are about 10 times MNIST's in [0, 1]).
  pairs = sources.load(config.data).train.pairs()
  for side in ('x', 'y'):
    variance = np.var(getattr(pairs, side).astype(np.float64), axis=0).sum()
    assert metrics[f'likelihood/two_eps_sq_{side}'] == pytest.approx(
        2e-3 * variance, rel=1e-5)


def test_a_constant_side_has_no_relative_two_eps_sq(tmp_path):
  config = paired_config.get_config()
  config.data.path = write_npz(tmp_path / 'pairs.npz', y_train=np.ones(
      (2000, 3), np.float32), y_test=np.ones((500, 3), np.float32))
  train = sources.load(config.data).train
  with pytest.raises(data.DataError, match=r'side y is the same in every '
                     r"train pair .*loss.two_eps_sq_unit='absolute'"):
    run.model_data_variances(config, train)
  config.loss.two_eps_sq_unit = 'absolute'
  assert run.model_data_variances(config, train) is None


def test_halves_of_one_image_are_shown_joined(tmp_path):
  rng = np.random.default_rng(2)
  halves = {f'{side}_{split}': rng.uniform(size=(n, 4, width)).astype(np.float32)
            for split, n in (('train', 2000), ('test', 500))
            for side, width in (('x', 3), ('y', 5))}
  path = write_npz(tmp_path / 'halves.npz', **halves)
  config = config_for(path)
  config.data.joined = 'beside'
  paired = sources.load(config.data)
  assert paired.joined == 'beside'
  # A cell of the figures: x's picture, then y's, as one 4 x 8 image.
  x, y = paired.test.pairs().x[:2], paired.test.pairs().y[:2]
  shapes = (paired.x.shape, paired.y.shape)
  ((first, _), _) = plots.joined_cells(x[:, None], np.stack([y, y], 1), shapes,
                                       'beside')
  np.testing.assert_array_equal(first, np.concatenate(
      [plots.cell(x[0], shapes[0]), plots.cell(y[0], shapes[1])], axis=1))
  assert first.shape == (4, 8, 3)
  # The figures draw them: conditional samples beside the real pair, joint
  # samples each one image.
  plots.conditional_generation(str(tmp_path / 'c.png'), x, np.stack([y] * 3, 1),
                               y, np.stack([x] * 3, 1), shapes, 'beside')
  plots.joint_samples(str(tmp_path / 'j.png'), x, y, shapes, cols=2,
                      joined='beside')
  for name in ('c.png', 'j.png'):
    assert (tmp_path / name).read_bytes()[:4] == b'\x89PNG'
  # 'above' needs one width: 3 and 5 do not fit.
  config.data.joined = 'above'
  with pytest.raises(data.DataError, match=r"data.joined='above' needs two "
                     r'images of one width \(and channels\); x has examples of '
                     r'shape \(4, 3\), y of \(4, 5\)'):
    sources.load(config.data)
  config.data.joined = 'sideways'
  with pytest.raises(config_checks.ConfigError, match=r"data.joined='sideways' "
                     r"is not allowed; use '' \(the sides apart\), 'beside'"):
    config_checks.validate(config)
