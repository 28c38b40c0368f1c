"""The judges of a run's samples, one set per domain of its data.

Each domain (`wyner_jax.sides`: both sides of Add-1 MNIST are one, MNIST and
SVHN two) gets a classifier trained on that domain's train examples (when the
data have labels) and, for images, a feature autoencoder (the `ae_` second
reading, `experiments.feature_autoencoder`). Both are cached
(`experiments.cache`: the user cache, or eval.classifier_dir), keyed by the
data's checksum, their own settings and the code's versions, so every run on
the same data shares them.
"""

import os
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from experiments import classifier
from experiments import data
from experiments import feature_autoencoder

Features = Callable[[np.ndarray], np.ndarray]


class Judges(NamedTuple):
  """Per side ('x', 'y'): its domain's classifier and feature functions."""
  classifiers: dict[str, classifier.TrainedClassifier]  # {} without labels
  readings: dict[str, dict[str, Features]]  # side -> {prefix: features}
  test_accuracy: dict[str, float]  # metric name -> value

  def predict(self, side: str, images: np.ndarray) -> np.ndarray:
    return classifier.predict(self.classifiers[side], images)


def load_or_train(paired: data.PairedData, directory: str, data_name: str,
                  seed: int, classifier_steps: int,
                  autoencoder_steps: int) -> Judges:
  """Trains (or reads from the cache `directory`) every judge of `paired`'s
  domains.

  Args:
    directory: the judge cache (`experiments.cache.judge_directory`).
    data_name: names the data in the cache: its source and checksum.
    seed: the judges' training seed.
    autoencoder_steps: 0: no `ae_` reading.
  """
  classifiers, readings, accuracy = {}, {}, {}
  groups = paired.domains()
  for domain, sides in groups.items():
    side = paired.side(sides[0])
    train_images, train_labels = paired.domain_images(paired.train, domain)
    side_readings = {}
    if paired.has_labels:
      test_images, test_labels = paired.domain_images(paired.test, domain)
      trained = classifier.load_or_train(
          os.path.join(directory, data_name,
                       f'{domain}-classifier{classifier_steps}.msgpack'),
          {'data': data_name, 'domain': domain}, train_images, train_labels, test_images, test_labels,
          paired.num_classes, seed, classifier_steps)
      name = ('classifier/test_accuracy' if len(groups) == 1 else
              f'classifier/test_accuracy_{domain}')
      accuracy[name] = trained.test_accuracy
      side_readings[''] = lambda rows, c=trained: classifier.features(c, rows)
    if autoencoder_steps and side.is_image:
      params = feature_autoencoder.load_or_train(
          os.path.join(directory, data_name,
                       f'{domain}-autoencoder{autoencoder_steps}.msgpack'),
          {'data': data_name, 'domain': domain}, train_images, side.shape, seed, autoencoder_steps)
      side_readings['ae_'] = feature_autoencoder.feature_fn(params, side.shape)
    for name in sides:
      if paired.has_labels:
        classifiers[name] = trained
      readings[name] = side_readings
  return Judges(classifiers, readings, accuracy)
