"""Runs on data whose sides differ in shape: the offline two-shape pair and
MNIST-SVHN (on tfds's mock data), wrapped in one autoencoder per side,
through both Wyner phases to every output; and a model loaded alone."""

import json

import jax
import numpy as np
import pytest

from configs import mnist_poly, mnist_svhn
from experiments import run
from wyner_jax import autoencoder, sampling
from wyner_jax.loading import load_model

OUTPUTS = ('metrics.json', 'config.json', 'train_log.jsonl',
           'figures/conditional_generation.png', 'figures/style_transfer.png',
           'figures/joint_samples.png')


def quick(config):
  config.log_every_secs = 1e9
  config.autoencoder.num_steps = 20
  config.joint.num_steps = config.marginal.num_steps = 10
  config.checkpoint_every = 10
  config.eval.classifier_steps = 50
  return config


def assert_every_output(workdir, result, shapes):
  for name in OUTPUTS:
    assert (workdir / name).stat().st_size > 0, name
  assert sorted(p.name for p in (workdir / 'checkpoints').iterdir()) == [
      'autoencoder_x', 'autoencoder_y', 'joint', 'marginal']
  metrics = json.loads((workdir / 'metrics.json').read_text())
  assert metrics == result.metrics
  for name in ('eval/accuracy_y_given_x', 'eval/accuracy_x_given_y',
               'eval/joint_coherence', 'eval/fd_y_given_x', 'eval/fd_x_given_y',
               'eval/fd_real', 'eval/fd_real_x', 'eval/autoencoder_rec_y',
               'eval/style_transfer_slant_corr', 'joint/eval/rec/y'):
    assert np.isfinite(metrics[name]) or 'corr' in name, name
  # Each side is generated in its own shape, through its own autoencoder.
  x = result.test_pairs.x[:3]
  y = sampling.y_given_x(result.model, result.params, jax.random.key(0), x, 2)
  assert y.shape == (3, 2, int(np.prod(shapes[1])))
  x_back = sampling.x_given_y(result.model, result.params, jax.random.key(1),
                              result.test_pairs.y[:3], 2)
  assert x_back.shape == (3, 2, int(np.prod(shapes[0])))
  return metrics


def test_the_offline_two_shape_pair_runs_to_every_output(tmp_path):
  config = quick(mnist_poly.get_config('tiny'))
  (result,) = run.train_and_evaluate(config, str(tmp_path))
  metrics = assert_every_output(tmp_path, result, ((28, 28, 1), (28, 28, 3)))
  assert {'classifier/test_accuracy_mnist',
          'classifier/test_accuracy_polymnist'} <= set(metrics)
  # A model of the workdir loaded alone samples as it did inside the run.
  trained = load_model(str(tmp_path))
  assert isinstance(trained.model, autoencoder.PixelWynerVAE)
  assert [side.shape for side in trained.sides] == [(28, 28, 1), (28, 28, 3)]
  key, x = jax.random.key(3), result.test_pairs.x[:4]
  np.testing.assert_allclose(
      sampling.y_given_x(trained.model, trained.params, key, x, 2),
      sampling.y_given_x(result.model, result.params, key, x, 2), atol=1e-6)


def test_mnist_svhn_on_mock_data_runs_to_every_output(tmp_path):
  tfds = pytest.importorskip('tensorflow_datasets')
  config = quick(mnist_svhn.get_config('tiny'))
  with tfds.testing.mock_data(num_examples=120):
    (result,) = run.train_and_evaluate(config, str(tmp_path))
  metrics = assert_every_output(tmp_path, result, ((28, 28, 1), (32, 32, 3)))
  assert {'classifier/test_accuracy_mnist',
          'classifier/test_accuracy_svhn'} <= set(metrics)
