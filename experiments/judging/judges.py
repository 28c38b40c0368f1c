"""The judges of a run's samples, one set per domain of its data.

Each domain (`wyner_jax.sides`: both sides of Add-1 MNIST are one, MNIST and
SVHN two) gets a classifier (convolutional for colour images,
`experiments.judging.classifier`) trained on that domain's train examples (when the
data have labels) and, for images, a feature autoencoder (the `ae_` second
reading, `experiments.judging.feature_autoencoder`). Each is keyed by a checksum of
its domain's examples (`domain_digest`: what it trains and is tested on, not
the pairing, so runs that pair the same examples differently share it) and
its own settings: the embedded MNIST subset's are shipped with the project
(`experiments.judging.instruments`); the others are cached (`experiments.cache`: the
user cache, or eval.classifier_dir) with the code's versions in their key.
"""

import hashlib
import os
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from experiments.judging import classifier
from experiments import data
from experiments.judging import feature_autoencoder

Features = Callable[[np.ndarray], np.ndarray]


class Judges(NamedTuple):
  """Per side ('x', 'y'): its domain's classifier and feature functions."""
  classifiers: dict[str, classifier.TrainedClassifier]  # {} without labels
  readings: dict[str, dict[str, Features]]  # side -> {prefix: features}
  test_accuracy: dict[str, float]  # metric name -> value

  def predict(self, side: str, images: np.ndarray) -> np.ndarray:
    return classifier.predict(self.classifiers[side], images)


def domain_digest(*arrays: np.ndarray | None) -> str:
  """Sixteen hex digits of a sha256 of `arrays` (their shapes, types and
  values; None counts as absent)."""
  digest = hashlib.sha256()
  for array in arrays:
    if array is not None:
      array = np.ascontiguousarray(array)
      digest.update(f'{array.dtype}{array.shape}'.encode())
      digest.update(array.data)
    else:
      digest.update(b'None')
  return digest.hexdigest()[:16]


def domain_data(paired: data.PairedData, domain: str
                ) -> tuple[dict[str, str], tuple[np.ndarray, ...]]:
  """({'data': domain_digest, 'domain': domain}: the key of the domain's
  judges, (train images, train labels, test images, test labels) of the
  domain: what they train and are tested on)."""
  train = paired.domain_images(paired.train, domain)
  test = paired.domain_images(paired.test, domain)
  return {'data': domain_digest(*train, *test), 'domain': domain}, (*train, *test)


def load_or_train(paired: data.PairedData, directory: str, seed: int,
                  classifier_steps: int, autoencoder_steps: int) -> Judges:
  """Reads (`experiments.judging.instruments`, or the cache `directory`) or trains
  every judge of `paired`'s domains.

  Args:
    directory: the judge cache (`experiments.cache.judge_directory`).
    seed: the judges' training seed.
    autoencoder_steps: 0: no `ae_` reading.
  """
  classifiers, readings, accuracy = {}, {}, {}
  groups = paired.domains()
  for domain, sides in groups.items():
    side = paired.side(sides[0])
    key, (train_images, train_labels, test_images, test_labels) = (
        domain_data(paired, domain))
    folder = os.path.join(directory, f'{domain}-{key["data"]}')
    side_readings = {}
    if paired.has_labels:
      image_shape = classifier.conv_shape(side.shape)
      trained = classifier.load_or_train(
          os.path.join(folder, classifier.file_name(classifier_steps, image_shape)),
          key, train_images, train_labels,
          test_images, test_labels, paired.num_classes, seed, classifier_steps,
          image_shape)
      name = ('classifier/test_accuracy' if len(groups) == 1 else
              f'classifier/test_accuracy_{domain}')
      accuracy[name] = trained.test_accuracy
      side_readings[''] = lambda rows, c=trained: classifier.features(c, rows)
    if autoencoder_steps and side.is_image:
      params = feature_autoencoder.load_or_train(
          os.path.join(folder, f'autoencoder{autoencoder_steps}.msgpack'), key, train_images,
          side.shape, seed, autoencoder_steps)
      side_readings['ae_'] = feature_autoencoder.feature_fn(params, side.shape)
    for name in sides:
      if paired.has_labels:
        classifiers[name] = trained
      readings[name] = side_readings
  return Judges(classifiers, readings, accuracy)
