"""An offline pair of two shapes: X an MNIST digit (28 x 28 gray), Y a digit
of the paired label drawn the PolyMNIST way (28 x 28 colour: the digit on a
random crop of a photograph, inverted in colour under its ink;
experiments/sources/mnist_poly.py). The default's model and settings
(configs/synthetic.py): one conv autoencoder per side, the Wyner VAE on
their codes. Runs offline:

  python -m experiments.main --config=configs/mnist_poly.py --workdir=/tmp/mnist_poly

Variants: tiny (few steps, small networks: tests and smoke runs).
--config.data.label_rule=same pairs digits of one label instead of Add-1.
"""

import ml_collections

from configs import synthetic
from experiments.sources import data_config

VARIANTS = ('tiny',)


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  synthetic.check_variant('configs/mnist_poly.py', arg, VARIANTS)
  config = synthetic.default_config()
  config.data = data_config('mnist_poly')
  if arg == 'tiny':
    synthetic.make_tiny(config)
    synthetic.wrap_tiny(config)
  return config
