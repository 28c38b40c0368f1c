"""Add-1 pairing on the embedded MNIST subset and the tfds code path."""

import numpy as np
import pytest

from experiments import data


@pytest.fixture(scope='module')
def images():
  return data.load_embedded(test_per_class=100)


def test_embedded_split_is_real_mnist_scaled_and_disjoint(images):
  train, test = images
  assert train.images.shape == (4000, 784) and test.images.shape == (1000, 784)
  assert train.images.dtype == np.float32
  assert train.images.min() == 0.0 and train.images.max() == 1.0
  np.testing.assert_array_equal(np.bincount(test.labels), [100] * 10)
  assert not set(train.ids) & set(test.ids)


def test_every_pair_satisfies_the_plus_one_relation(images):
  train, test = images
  train_pairs, test_pairs = data.split_pairs(train, test, 400, seed=3)
  for pairs, source in ((train_pairs, train), (test_pairs, test)):
    label_of = dict(zip(source.ids, source.labels))
    lx = np.array([label_of[i] for i in pairs.id_x])
    ly = np.array([label_of[i] for i in pairs.id_y])
    np.testing.assert_array_equal(lx, pairs.label_x)
    np.testing.assert_array_equal(ly, (lx + 1) % 10)
    # The images are the ones the ids name.
    row = {i: k for k, i in enumerate(source.ids)}
    np.testing.assert_array_equal(pairs.x, source.images[[row[i] for i in pairs.id_x]])
    np.testing.assert_array_equal(pairs.y, source.images[[row[i] for i in pairs.id_y]])
  assert len(train_pairs.x) == 4000 and len(test_pairs.x) == 1000


def test_train_and_test_pairs_share_no_image(images):
  train_pairs, test_pairs = data.split_pairs(*images, 400, seed=0)
  train_ids = set(train_pairs.id_x) | set(train_pairs.id_y)
  test_ids = set(test_pairs.id_x) | set(test_pairs.id_y)
  assert not train_ids & test_ids


def test_pairing_is_a_function_of_the_seed(images):
  a = data.make_pairs(images[0], 50, seed=7)
  b = data.make_pairs(images[0], 50, seed=7)
  c = data.make_pairs(images[0], 50, seed=8)
  np.testing.assert_array_equal(a.id_x, b.id_x)
  np.testing.assert_array_equal(a.id_y, b.id_y)
  assert not np.array_equal(a.id_y, c.id_y)


def test_too_many_pairs_per_class_is_a_clear_error(images):
  with pytest.raises(data.DataError, match=r'data.pairs_per_class=401 is not '
                     r'allowed: these images give at most 400 pairs per class'):
    data.make_pairs(images[0], 401, seed=0)


def test_unknown_source_is_a_clear_error():
  with pytest.raises(data.DataError, match="data.source='mnist' is unknown"):
    data.load_images('mnist')


def test_tfds_source_reads_mnist_records():
  tfds = pytest.importorskip('tensorflow_datasets')
  with tfds.testing.mock_data(num_examples=300):
    train, test = data.load_images('tfds')
  for split in (train, test):
    assert split.images.shape == (300, 784)
    assert 0.0 <= split.images.min() and split.images.max() <= 1.0
    assert set(split.labels) <= set(range(10))
  pairs = data.make_pairs(train, data.max_pairs_per_class(train), seed=0)
  np.testing.assert_array_equal(pairs.label_y, (pairs.label_x + 1) % 10)


def test_unprepared_tfds_data_says_how_to_get_it(tmp_path):
  pytest.importorskip('tensorflow_datasets')
  with pytest.raises(data.DataError, match='download_and_prepare.*source=embedded'):
    data.load_images('tfds', tfds_dir=str(tmp_path))
