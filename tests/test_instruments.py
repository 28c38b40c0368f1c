"""The judges of the embedded MNIST subset shipped as fixed instruments."""

import os
import shutil

import jax
import numpy as np
import pytest

from configs import synthetic
from experiments import build_instruments
from experiments.judging import classifier
from experiments.judging import instruments
from experiments.judging import judges
from experiments import sources


@pytest.fixture(scope='module')
def embedded():
  return sources.load(synthetic.get_config().data)


def test_the_default_runs_judges_are_the_shipped_files_and_train_nothing(
    embedded, tmp_path):
  config = synthetic.get_config()
  manifest = instruments.read_manifest()
  for name, entry in manifest.items():
    assert instruments.sha256(os.path.join(instruments.DIRECTORY, name)) == (
        entry['sha256']), name
  run_judges = judges.load_or_train(
      embedded, str(tmp_path), config.data.seed, config.eval.classifier_steps,
      config.eval.autoencoder_steps)
  assert not os.listdir(tmp_path)  # read, not trained nor cached
  assert set(run_judges.readings['x']) == {'', 'ae_'}
  # The classifier is the one in the file: its accuracy, its predictions.
  key, (_, _, test_images, test_labels) = judges.domain_data(embedded, 'mnist')
  path = os.path.join(instruments.DIRECTORY, 'mnist-classifier2000.msgpack')
  assert manifest['mnist-classifier2000.msgpack']['key'] == (
      instruments.normalized(classifier.judge_key(key, 0, 2000, 10)))
  accuracy = run_judges.test_accuracy['classifier/test_accuracy']
  assert accuracy > 0.9
  predicted = run_judges.predict('x', test_images)
  assert np.mean(predicted == test_labels) == pytest.approx(accuracy)
  assert os.path.getsize(path) < 3e6


def test_a_damaged_missing_or_replaced_instrument_is_refused(embedded,
                                                              tmp_path):
  directory = tmp_path / 'instruments'
  shutil.copytree(instruments.DIRECTORY, directory)
  name = 'mnist-classifier2000.msgpack'
  entry = instruments.read_manifest(str(directory))[name]
  target = {'params': jax.eval_shape(
      classifier.Classifier(10).init, jax.random.key(0),
      np.zeros((1, 784), np.float32)), 'test_accuracy': 0.0}
  assert instruments.load(entry['key'], target, str(directory)) is not None
  # Another key: not an instrument (trained and cached as before).
  assert instruments.load({**entry['key'], 'seed': 1}, target,
                          str(directory)) is None
  blob = bytearray((directory / name).read_bytes())
  blob[len(blob) // 2] ^= 1
  (directory / name).write_bytes(bytes(blob))
  with pytest.raises(instruments.InstrumentError,
                     match=r'mnist-classifier2000.msgpack does not match its '
                     r'sha256 in MANIFEST.json \(damaged, or another file in '
                     r'its place\); restore it .* or rebuild the instruments '
                     r'with python -m experiments.build_instruments'):
    instruments.load(entry['key'], target, str(directory))
  shutil.copy(directory / 'mnist-autoencoder2000.msgpack', directory / name)
  with pytest.raises(instruments.InstrumentError, match='does not match its sha256'):
    instruments.load(entry['key'], target, str(directory))
  os.remove(directory / name)
  with pytest.raises(instruments.InstrumentError,
                     match=r'mnist-classifier2000.msgpack is missing'):
    instruments.load(entry['key'], target, str(directory))


def test_building_twice_gives_the_same_bytes(tmp_path):
  first = build_instruments.build(str(tmp_path / 'a'), 30, 10)
  second = build_instruments.build(str(tmp_path / 'b'), 30, 10)
  assert [os.path.basename(p) for p in first] == [
      'mnist-classifier30.msgpack', 'mnist-autoencoder10.msgpack']
  for a, b in zip(first + [str(tmp_path / 'a' / instruments.MANIFEST)],
                  second + [str(tmp_path / 'b' / instruments.MANIFEST)]):
    with open(a, 'rb') as f, open(b, 'rb') as g:
      assert f.read() == g.read(), a
