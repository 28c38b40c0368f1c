"""The data sources: Add-1 MNIST (embedded, tfds), the offline two-shape pair,
MNIST-SVHN through tfds, as tables of examples and pairs of indices."""

import numpy as np
import pytest

from experiments import data, sources
from experiments.judging import classifier
from experiments.sources import add1_mnist, mnist_poly, mnist_svhn
from experiments.sources import images as image_sets


@pytest.fixture(scope='module')
def images():
  return image_sets.embedded_mnist(test_per_class=100)


def test_embedded_split_is_real_mnist_uint8_and_disjoint(images):
  train, test = images
  assert train.images.shape == (4000, 28, 28, 1)
  assert test.images.shape == (1000, 28, 28, 1)
  assert train.images.dtype == np.uint8
  assert train.images.min() == 0 and train.images.max() == 255
  np.testing.assert_array_equal(np.bincount(test.labels), [100] * 10)
  assert not set(train.ids) & set(test.ids)


def test_every_pair_satisfies_the_plus_one_relation(images):
  paired = sources.load(sources.data_config('embedded', seed=3))
  for split, source in ((paired.train, images[0]), (paired.test, images[1])):
    pairs = split.pairs()
    np.testing.assert_array_equal(pairs.label_y, (pairs.label_x + 1) % 10)
    np.testing.assert_array_equal(source.labels[pairs.id_x], pairs.label_x)
    np.testing.assert_array_equal(source.labels[pairs.id_y], pairs.label_y)
    # The rows are the images the indices name, scaled to [0, 1].
    np.testing.assert_array_equal(
        pairs.x, source.images[pairs.id_x].reshape(-1, 784) / np.float32(255))
    assert split.images_y is split.images_x  # one table for both sides
  assert paired.train.num_pairs == 4000 and paired.test.num_pairs == 1000
  assert paired.x == paired.y == add1_mnist.SIDE


def test_pairing_is_a_function_of_the_seed(images):
  a = add1_mnist.split(images[0], 50, seed=7)
  b = add1_mnist.split(images[0], 50, seed=7)
  c = add1_mnist.split(images[0], 50, seed=8)
  np.testing.assert_array_equal(a.index_x, b.index_x)
  np.testing.assert_array_equal(a.index_y, b.index_y)
  assert not np.array_equal(a.index_y, c.index_y)


def test_too_many_pairs_per_class_is_a_clear_error(images):
  with pytest.raises(data.DataError, match=r'data.pairs_per_class=401 is not '
                     r'allowed: these images give at most 400 pairs per class'):
    add1_mnist.split(images[0], 401, seed=0)


def test_unknown_source_is_a_clear_error():
  with pytest.raises(data.DataError, match="data.source='mnist' is unknown; "
                     'allowed: embedded, tfds, mnist_poly, mnist_svhn, paired'):
    sources.module('mnist')


def test_tfds_source_reads_mnist_records():
  tfds = pytest.importorskip('tensorflow_datasets')
  with tfds.testing.mock_data(num_examples=300):
    paired = sources.load(sources.data_config('tfds', pairs_per_class=5))
  for split in (paired.train, paired.test):
    assert split.images_x.shape == (300, 28, 28, 1)
    assert split.images_x.dtype == np.uint8
    pairs = split.pairs()
    np.testing.assert_array_equal(pairs.label_y, (pairs.label_x + 1) % 10)


def test_unprepared_tfds_data_says_how_to_get_it(tmp_path):
  pytest.importorskip('tensorflow_datasets')
  with pytest.raises(data.DataError, match='download_and_prepare.*run offline'):
    sources.load(sources.data_config('tfds', tfds_dir=str(tmp_path)))


@pytest.fixture(scope='module')
def poly():
  return sources.load(sources.data_config('mnist_poly', pairs_per_class=50))


def test_the_offline_pair_has_two_shapes_in_the_unit_range(poly, images):
  assert poly.x.shape == (28, 28, 1) and poly.y.shape == (28, 28, 3)
  assert poly.x.domain != poly.y.domain and poly.x.digits and not poly.y.digits
  assert poly.train.images_y.dtype == np.uint8
  assert poly.train.images_y.shape == (4000, 28, 28, 3)
  pairs = poly.test.pairs()
  assert pairs.x.shape == (1000, 784) and pairs.y.shape == (1000, 2352)
  assert 0.0 <= pairs.y.min() and pairs.y.max() <= 1.0
  np.testing.assert_array_equal(pairs.label_y, (pairs.label_x + 1) % 10)
  # Y is the paired label's digit: inverted in colour under its ink, the
  # photograph elsewhere; where the digit has no ink the crop is untouched.
  train = images[0]
  digit = train.images[poly.train.index_y[0], ..., 0]
  colour = poly.train.images_y[poly.train.index_y[0]].astype(int)
  crop_guess = np.where((digit > mnist_poly.INK * 255)[..., None], 255 - colour,
                        colour)
  assert not np.array_equal(crop_guess, colour)  # some ink was drawn
  assert poly.train.labels_y[poly.train.index_y[0]] == (
      poly.train.labels_x[poly.train.index_x[0]] + 1) % 10


def test_the_offline_pair_is_a_function_of_data_seed(poly):
  again = sources.load(sources.data_config('mnist_poly', pairs_per_class=50))
  other = sources.load(sources.data_config('mnist_poly', pairs_per_class=50,
                                        seed=1))
  np.testing.assert_array_equal(poly.train.images_y, again.train.images_y)
  np.testing.assert_array_equal(poly.train.index_y, again.train.index_y)
  assert not np.array_equal(poly.train.images_y, other.train.images_y)


def test_no_test_digit_is_in_a_train_pair(poly, images):
  train_digits, test_digits = images
  # Every train table row (both sides) is a train digit, every test row a
  # test digit: the Y images are drawn from their own split's digits.
  np.testing.assert_array_equal(poly.train.images_x, train_digits.images)
  np.testing.assert_array_equal(poly.test.images_x, test_digits.images)
  assert not set(train_digits.ids) & set(test_digits.ids)
  assert poly.train.index_y.max() < len(train_digits.ids)


def test_the_same_label_rule_pairs_one_label():
  same = sources.load(sources.data_config('mnist_poly', pairs_per_class=5,
                                       label_rule='same'))
  pairs = same.train.pairs()
  np.testing.assert_array_equal(pairs.label_x, pairs.label_y)


def test_mnist_svhn_pairs_each_label_k_times_on_mock_data():
  tfds = pytest.importorskip('tensorflow_datasets')
  with tfds.testing.mock_data(num_examples=200):
    paired = sources.load(sources.data_config('mnist_svhn', pairings=3))
  assert paired.x.shape == (28, 28, 1) and paired.y.shape == (32, 32, 3)
  train = paired.train
  assert train.images_x.shape == (200, 28, 28, 1)
  assert train.images_y.shape == (200, 32, 32, 3)
  assert train.images_y.dtype == np.uint8
  pairs = train.pairs()
  np.testing.assert_array_equal(pairs.label_x, pairs.label_y)  # one label
  # MMVAE's pairing: per label, every image of the rarer side k times.
  counts_x = np.bincount(train.labels_x, minlength=10)
  counts_y = np.bincount(train.labels_y, minlength=10)
  assert train.num_pairs == 3 * int(np.minimum(counts_x, counts_y).min()) * 10
  # The tables hold each image once: memory grows with the images.
  assert train.table_bytes() < train.pairs().x.nbytes + train.pairs().y.nbytes
  assert paired.test.num_pairs == int(np.minimum(
      np.bincount(paired.test.labels_x, minlength=10),
      np.bincount(paired.test.labels_y, minlength=10)).min()) * 10


def test_bad_data_fields_name_the_field():
  with pytest.raises(data.DataError, match=r"data.label_rule='plus2' is not "
                     r'allowed; allowed: same, add1'):
    mnist_poly.check(sources.data_config('mnist_poly', label_rule='plus2'))
  with pytest.raises(data.DataError, match=r'data.pairings=0 is not allowed'):
    mnist_svhn.check(sources.data_config('mnist_svhn', pairings=0))
  with pytest.raises(data.DataError, match=r"data.path is not a field of "
                     r"data.source='embedded'"):
    sources.data_config('embedded', path='x.npz')


def _example_ids(split, side):
  """The source's ids of each pair's example on one side, through the tables."""
  table = split.images_x if side == 'x' else split.images_y
  index = split.index_x if side == 'x' else split.index_y
  return [table[i].tobytes() for i in index]


def test_the_validation_split_shares_no_example_with_train_or_test(images):
  whole = sources.load(sources.data_config('embedded', seed=3))
  paired = sources.load(sources.data_config('embedded', seed=3,
                                            validation_fraction=0.1))
  assert paired.validation.num_pairs == 400
  # Every validation and train pair is a pair of the uncarved train split.
  originals = set(zip(_example_ids(whole.train, 'x'), _example_ids(whole.train, 'y')))
  for split in (paired.train, paired.validation):
    assert set(zip(_example_ids(split, 'x'), _example_ids(split, 'y'))) <= originals
    pairs = split.pairs()
    np.testing.assert_array_equal(pairs.label_y, (pairs.label_x + 1) % 10)
  held = set(_example_ids(paired.validation, 'x') + _example_ids(paired.validation, 'y'))
  used = set(_example_ids(paired.train, 'x') + _example_ids(paired.train, 'y'))
  tested = set(_example_ids(paired.test, 'x') + _example_ids(paired.test, 'y'))
  assert not held & used and not held & tested
  # Each split's tables hold only its own examples (the judges and the
  # wrapper's autoencoder train on the train tables).
  assert not {row.tobytes() for row in paired.train.images_x} & held
  assert len(paired.validation.images_x) == len(held)
  assert paired.train.images_y is paired.train.images_x
  # Dropped: the train pairs that use a validation example (about 2f(1-f)).
  assert 2400 < paired.train.num_pairs < 3600
  assert paired.digest() != whole.digest()


def test_the_validation_split_is_a_function_of_data_seed_alone(images):
  def carve(seed):
    return sources.load(sources.data_config('embedded', seed=seed,
                                            validation_fraction=0.2)).validation
  first, again, other = carve(1), carve(1), carve(2)
  np.testing.assert_array_equal(first.images_x, again.images_x)
  np.testing.assert_array_equal(first.index_x, again.index_x)
  assert not np.array_equal(first.images_x[:50], other.images_x[:50])


def test_validation_of_one_to_one_pairs_keeps_every_other_pair():
  # Separate x and y tables, pair i = (x_i, y_i) as in an .npz of the user's.
  x = np.arange(20, dtype=np.float32)[:, None]
  y = -x
  index = np.arange(20, dtype=np.int32)
  split = data.Split(x, y, None, None, index, index)
  train, validation = data.carve_validation(split, 0.25, seed=0)
  assert (train.num_pairs, validation.num_pairs) == (15, 5)
  rows = np.concatenate([train.pairs().x[:, 0], validation.pairs().x[:, 0]])
  np.testing.assert_array_equal(np.sort(rows), x[:, 0])
  np.testing.assert_array_equal(validation.pairs().y, -validation.pairs().x)


@pytest.mark.parametrize('fraction', [1.0, -0.1, 0.001])
def test_a_bad_validation_fraction_is_a_clear_error(fraction):
  x = np.zeros((20, 1), np.float32)
  index = np.arange(20, dtype=np.int32)
  with pytest.raises(data.DataError, match='validation_fraction'):
    data.carve_validation(data.Split(x, x + 1, None, None, index, index),
                          fraction, seed=0)


def test_total_variances_are_those_of_the_materialised_pairs():
  # An 8-bit table whose rows the pairs use unevenly (and one not at all),
  # values far from 0 on the other side: the sum over values of each
  # value's variance over the pairs, as numpy computes it on the pairs.
  rng = np.random.default_rng(0)
  split = data.Split(
      images_x=rng.integers(0, 256, (7, 3, 2, 1), dtype=np.uint8),
      images_y=(1e4 + rng.normal(0, 2, (5, 4))).astype(np.float32),
      labels_x=None, labels_y=None,
      index_x=np.array([0, 0, 0, 1, 2, 3, 4, 5, 5], np.int32),
      index_y=np.array([4, 4, 3, 2, 1, 0, 0, 0, 1], np.int32))
  pairs = split.pairs()
  expected = [np.var(side.astype(np.float64), axis=0).sum()
              for side in (pairs.x, pairs.y)]
  np.testing.assert_allclose(split.total_variances(chunk=2), expected,
                             rtol=1e-6)
  # 8-bit values count in [0, 1], as the model reads them.
  assert split.total_variances()[0] < 6 * 0.25


def test_colour_digits_get_a_conv_judge_that_reads_them_better(poly):
  # The judges' network follows the examples' shape: colour images get the
  # convolutional one, gray digits and vectors the MLP (whose key names no
  # network, so the shipped MNIST judges still load).
  assert classifier.conv_shape(poly.y.shape) == (28, 28, 3)
  assert classifier.conv_shape(poly.x.shape) is None
  assert classifier.conv_shape((16,)) is None
  assert 'network' not in classifier.judge_key({}, 0, 2000, 10)
  assert classifier.judge_key({}, 0, 2000, 10, (28, 28, 3))['network'] == 'conv'
  domain = poly.y.domain
  train = poly.domain_images(poly.train, domain)
  test = poly.domain_images(poly.test, domain)
  accuracy = {}
  for shape in (None, poly.y.shape):
    trained = classifier.train_classifier(*train, *test, 10, num_steps=100,
                                          batch_size=64, image_shape=shape)
    accuracy[shape] = trained.test_accuracy
    assert classifier.features(trained, test[0][:5]).shape == (5, 256)
  # Digits on photographs: the MLP reads them far less well (measured at
  # these settings: 0.79 against 0.51).
  assert accuracy[poly.y.shape] > accuracy[None] + 0.1, accuracy
