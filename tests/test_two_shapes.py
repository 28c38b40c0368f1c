"""A run on data whose sides differ in shape: MNIST-SVHN on tfds's mock
data, wrapped in one autoencoder per side, through both Wyner phases to
every output; and a model of it loaded alone. (The offline two-shape pair's
data: tests/test_data.py; its measured run: docs/results.md.)"""

import json
import subprocess
import sys

import jax
import numpy as np
import pytest

from conftest import REPO, env
from wyner_jax import autoencoder
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


def assert_every_output(workdir):
  for name in OUTPUTS:
    assert (workdir / name).stat().st_size > 0, name
  assert sorted(p.name for p in (workdir / 'checkpoints').iterdir()) == [
      'autoencoder_x', 'autoencoder_y', 'joint', 'marginal']
  metrics = json.loads((workdir / 'metrics.json').read_text())
  for name in ('eval/accuracy_y_given_x', 'eval/accuracy_x_given_y',
               'eval/joint_coherence', 'eval/fd_y_given_x', 'eval/fd_x_given_y',
               'eval/fd_real', 'eval/fd_real_x', 'eval/autoencoder_rec_y',
               'joint/eval/rec/y', 'marginal/eval/rec/y'):
    assert np.isfinite(metrics[name]), name
  assert 'eval/style_transfer_slant_corr' in metrics  # X is gray digits
  return metrics


def test_mnist_svhn_on_mock_data_runs_to_every_output(tmp_path):
  pytest.importorskip('tensorflow_datasets')
  # A launcher process (compiled as the launchers' tests are, conftest) with
  # tfds's mock data in place of the real data sets.
  code = (
      'import sys; import tensorflow_datasets as tfds; '
      'from configs import mnist_svhn; from experiments import run; '
      'sys.path.insert(0, "tests"); from test_two_shapes import quick; '
      'config = quick(mnist_svhn.get_config("tiny")); '
      'with_mock = tfds.testing.mock_data(num_examples=120); '
      f'with_mock.__enter__(); run.train_and_evaluate(config, "{tmp_path}")')
  result = subprocess.run([sys.executable, '-c', code], cwd=REPO, env=env(),
                          capture_output=True, text=True, timeout=300)
  assert result.returncode == 0, result.stderr[-3000:]
  metrics = assert_every_output(tmp_path)
  assert {'classifier/test_accuracy_mnist',
          'classifier/test_accuracy_svhn'} <= set(metrics)
  # A model of the workdir loaded alone: each side in its own shape, through
  # its own autoencoder.
  trained = load_model(str(tmp_path))
  assert isinstance(trained.model, autoencoder.OnPixels)
  assert [side.shape for side in trained.sides] == [(28, 28, 1), (32, 32, 3)]
  x = np.random.default_rng(0).uniform(size=(3, 784)).astype(np.float32)
  y = trained.model.conditional(trained.params, jax.random.key(0), x, 'x', 2)
  assert y.shape == (3, 2, 32 * 32 * 3)
  assert 0.0 <= float(y.min()) and float(y.max()) <= 1.0
  x_back = trained.model.conditional(trained.params, jax.random.key(1),
                                     np.asarray(y[:, 0]), 'y', 2)
  assert x_back.shape == (3, 2, 784)
