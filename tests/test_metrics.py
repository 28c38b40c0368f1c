"""The label metrics on constructed inputs with known answers."""

import json

import numpy as np
import pytest

from conftest import embedded_digits, launch
from experiments import data
from experiments.judging import classifier, feature_autoencoder, frechet, metrics
from wyner_jax import autoencoder


@pytest.fixture(scope='module')
def judged():
  train, test = embedded_digits(100)
  trained = classifier.train_classifier(train.images, train.labels, test.images,
                                         test.labels, 10, seed=0, num_steps=400)
  return trained, test


def test_classifier_learns_digits(judged):
  trained, _ = judged
  assert trained.test_accuracy > 0.85


def test_identical_samples_have_zero_variability(judged):
  trained, test = judged
  feats = classifier.features(trained, test.images)
  reference = metrics.class_reference_distances(feats, test.labels, 10)
  same = np.repeat(feats[:50, None], 4, axis=1)  # 4 identical samples each
  assert metrics.variability(same, test.labels[:50], reference) == 0.0


def assert_perfect_generator_has_variability_one(feats, labels):
  """A perfect generator: for each condition, 4 random real images of the class."""
  reference = metrics.class_reference_distances(feats, labels, 10)
  rng = np.random.default_rng(0)
  targets = rng.integers(0, 10, size=2000)
  groups = np.stack([feats[rng.choice(np.flatnonzero(labels == t), 4,
                                      replace=False)] for t in targets])
  np.testing.assert_allclose(metrics.variability(groups, targets, reference),
                             1.0, atol=0.02)


def test_real_images_of_the_target_class_have_variability_one(judged):
  trained, test = judged
  feats = classifier.features(trained, test.images)
  assert_perfect_generator_has_variability_one(feats, test.labels)


def test_mean_pairwise_distance_closed_form():
  feats = np.array([[[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]]])  # distances 5, 0, 5
  np.testing.assert_allclose(metrics.mean_pairwise_distance(feats), [10 / 3])


def test_real_images_score_the_classifier_accuracy(judged):
  trained, test = judged
  assert np.mean(classifier.predict(trained, test.images) == test.labels) == \
      trained.test_accuracy


def test_perfectly_coherent_pairs_have_coherence_one(judged):
  trained, test = judged
  predicted = classifier.predict(trained, test.images)
  # y_i: an image that the classifier labels predicted(x_i) + 1.
  partner = {l: np.flatnonzero(predicted == (l + 1) % 10)[0] for l in range(10)}
  y = test.images[[partner[l] for l in predicted]]
  coherence = lambda x, y: metrics.joint_coherence(
      classifier.predict(trained, x), classifier.predict(trained, y), 'add1', 10)
  assert coherence(test.images, y) == 1.0
  shuffled = test.images[np.random.default_rng(0).permutation(len(test.images))]
  assert coherence(test.images, shuffled) < 0.2
  # Coherence rewards collapse: pairs all of one class cohere perfectly.
  # The entropy of the judged labels beside it says so: log 10 for the test
  # set's ten equal classes, 0 for one class.
  ones = np.flatnonzero(predicted == 1)
  twos = np.full_like(ones, partner[1])
  assert coherence(test.images[ones], test.images[twos]) == 1.0
  assert metrics.label_entropy(predicted[ones], 10) == 0.0
  np.testing.assert_allclose(metrics.label_entropy(np.repeat(np.arange(10), 7),
                                                   10), np.log(10))
  assert abs(metrics.label_entropy(predicted, 10) - np.log(10)) < 0.02


def test_tiny_sweep_writes_mean_and_std_over_seeds_per_setting(tiny_run, tmp_path):
  result = launch('experiments.sweep', '--config=configs/sweep_uv.py:tiny',
                  f'--workdir={tmp_path}',
                  timeout=400)
  assert result.returncode == 0, result.stderr[-3000:]
  entries = json.loads((tmp_path / 'results.json').read_text())
  assert [e['setting'] for e in entries] == ['|U|=|V|=(0, 0)', '|U|=|V|=(1, 10)']
  for entry in entries:
    assert [row['seed'] for row in entry['seeds']] == [0, 1]
    for key in ('eval/accuracy_y_given_x', 'eval/variability_y_given_x',
                'eval/style_variability_y_given_x', 'eval/joint_coherence',
                'eval/joint_label_entropy',
                'eval/style_transfer_accuracy', 'eval/rate_z', 'eval/rate_z_max',
                'eval/style_transfer_slant_corr', 'eval/fd_y_given_x',
                'eval/fd_real', 'eval/latent_probe_accuracy',
                'classifier/test_accuracy'):
      values = [row[key] for row in entry['seeds']]
      assert all(isinstance(v, float) for v in values), key
      # nan_ok: a correlation is NaN where the tiny model's outputs do not
      # vary (morphometry.pearson), and the mean of a NaN is NaN.
      assert entry['mean'][key] == pytest.approx(np.mean(values), nan_ok=True), key
      assert entry['std'][key] == pytest.approx(np.std(values, ddof=1),
                                                nan_ok=True), key
    # Seeds are different models; the real-data floor is the same for both.
    assert entry['std']['joint/eval/rec/x'] > 0
    assert entry['std']['eval/fd_real'] == 0
    # Each setting's seeds are read back from its own run's per-model metrics.
    single = json.loads((tmp_path / entry['workdir'].split('/')[-1] / 'models'
                         / 'lam0_seed1' / 'metrics.json').read_text())
    assert single['eval/fd_y_given_x'] == entry['seeds'][1]['eval/fd_y_given_x']
  # No local latent: with z fixed at its mode, every sample is the same image.
  assert entries[0]['mean']['eval/style_variability_y_given_x'] == 0.0
  assert entries[0]['mean']['eval/rate_u_max'] == 0.0
  # One autoencoder for the sweep: the second setting copies the first's
  # from the user cache (which another test of the session may have filled
  # before the first setting ran) and trains none.
  def autoencoder_records(entry):
    log = (tmp_path / entry['workdir'].split('/')[-1] / 'train_log.jsonl')
    return [line for line in log.read_text().splitlines()
            if json.loads(line)['phase'] == 'autoencoder']
  assert not autoencoder_records(entries[1])
  assert entries[0]['mean']['eval/autoencoder_rec_x'] == (
      entries[1]['mean']['eval/autoencoder_rec_x'])
  table = (tmp_path / 'results.md').read_text()
  assert table.count('\\|U\\|=') == 2 and table.count(' ± ') >= 2 * 10
  for name in ('samples.png', 'metrics.png'):
    assert (tmp_path / name).read_bytes()[:4] == b'\x89PNG'
  assert 'Traceback' not in result.stderr


@pytest.fixture(scope='module')
def feature_ae():
  train, test = embedded_digits(100)
  params = feature_autoencoder.train(train.images, (28, 28, 1), seed=0,
                                     num_steps=300)
  return feature_autoencoder.feature_fn(params, (28, 28, 1)), params, test


def test_the_feature_autoencoder_learns_and_real_images_have_variability_one(feature_ae):
  features, params, test = feature_ae
  net = autoencoder.ConvAutoencoder(feature_autoencoder.CODE_SIZE)
  rebuilt = np.asarray(net.decode(params, net.encode(params, test.images)))
  mean_image_error = np.mean(np.sum((test.images - test.images.mean(0)) ** 2, -1))
  assert np.mean(np.sum((rebuilt - test.images) ** 2, -1)) < 0.6 * mean_image_error
  feats = features(test.images)
  assert feats.shape == (1000, feature_autoencoder.CODE_SIZE)
  assert_perfect_generator_has_variability_one(feats, test.labels)


def test_both_readings_see_stroke_thickness(judged, feature_ae):
  # Thicker strokes (a 3x3 dilation), same digits. Measured 2026-11-27: the
  # classifier's features move 89x their real-vs-real floor, the
  # autoencoder's 33x: the classifier does not ignore thickness after all.
  trained, test = judged
  features, _, _ = feature_ae
  images = test.images.reshape(-1, 28, 28)
  padded = np.pad(images, ((0, 0), (1, 1), (1, 1)))
  thick = np.max([padded[:, i:i + 28, j:j + 28] for i in range(3) for j in range(3)],
                 axis=0).reshape(-1, 784)
  half, other = metrics.stratified_halves(test.labels, 50, 10)

  def relative_fd(f):  # FD to the thick images over the floor of real vs real
    real, dilated = f(test.images), f(thick)
    return (frechet.frechet_distance(dilated[other], real[half])
            / frechet.frechet_distance(real[other], real[half]))

  assert relative_fd(features) > 10
  assert relative_fd(lambda x: classifier.features(trained, x)) > 10


def test_the_variability_reference_holds_each_test_example_once():
  # Add-1 test pairs hold every image once as an x and once as a y; MNIST-SVHN
  # pairs may repeat an example. A side's reference is built from its
  # distinct examples: three points at 0, 3 and 4 of one class, each in two
  # pairs, have the true mean distance (3 + 4 + 1) / 3, not the 32 / 15 of
  # the six rows with their zero distances to themselves.
  ids = np.array([0, 1, 2, 0, 1, 2])
  pairs = data.PairSet(np.array([[0.], [3.], [4.]])[ids], None,
                       np.zeros(6, np.int64), None, ids, ids)
  rows = metrics.unique_rows(pairs, 'x')
  np.testing.assert_array_equal(rows, [0, 1, 2])
  reference = metrics.class_reference_distances(pairs.x[rows], pairs.label_x[rows], 1)
  np.testing.assert_allclose(reference, [8 / 3])
  duplicated = metrics.class_reference_distances(pairs.x, pairs.label_x, 1)
  np.testing.assert_allclose(duplicated, [32 / 15])
