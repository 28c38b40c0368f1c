r"""Builds the judges shipped with the project (`experiments.judging.instruments`).

  python -m experiments.build_instruments

Trains, on configs/synthetic.py's default data (the embedded MNIST subset)
and with its judge settings (eval.classifier_steps, eval.autoencoder_steps,
data.seed), the classifier and the feature autoencoder of each domain, and
writes them and their MANIFEST.json into experiments/judging/instruments/ (or
--directory). The same machine builds the same bytes (fixed seeds, one
process); rebuilding changes what every later run on the embedded data
measures with, so the files are versioned with the code (CHANGELOG).
"""

import os

from absl import flags
from absl import logging

from configs import synthetic
from experiments.judging import classifier
from experiments import cli
from experiments.judging import feature_autoencoder
from experiments.judging import instruments
from experiments.judging import judges
from experiments import sources

_DIRECTORY = flags.DEFINE_string(
    'directory', instruments.DIRECTORY, 'Where the instruments are written.')


def build(directory: str, classifier_steps: int, autoencoder_steps: int,
          seed: int = 0) -> list[str]:
  """Trains and writes the embedded data's judges; returns their paths."""
  paired = sources.load(synthetic.get_config().data)
  written = []
  for domain, sides in paired.domains().items():
    key, (train_images, train_labels, test_images, test_labels) = (
        judges.domain_data(paired, domain))
    name = f'{domain}-classifier{classifier_steps}.msgpack'
    trained = classifier.train_classifier(
        train_images, train_labels, test_images, test_labels,
        paired.num_classes, seed=seed, num_steps=classifier_steps)
    instruments.write(directory, name, classifier.judge_key(
        key, seed, classifier_steps, paired.num_classes),
                      classifier.as_tree(trained))
    written.append(os.path.join(directory, name))
    shape = paired.side(sides[0]).shape
    name = f'{domain}-autoencoder{autoencoder_steps}.msgpack'
    params = feature_autoencoder.train(train_images, shape, seed,
                                       autoencoder_steps)
    instruments.write(directory, name, feature_autoencoder.judge_key(
        key, seed, autoencoder_steps, shape), params)
    written.append(os.path.join(directory, name))
    logging.info('%s: classifier test accuracy %.4f', domain,
                 trained.test_accuracy)
  return written


def main() -> None:
  config = synthetic.get_config()
  paths = build(_DIRECTORY.value, config.eval.classifier_steps,
                config.eval.autoencoder_steps, config.data.seed)
  logging.info('wrote %s and %s', ', '.join(paths),
               os.path.join(_DIRECTORY.value, instruments.MANIFEST))


if __name__ == '__main__':
  cli.main(main)
