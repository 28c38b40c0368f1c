"""MNIST-SVHN (Shi et al. 2019): X an MNIST digit (28 x 28 x 1), Y an SVHN
house number of the same label (32 x 32 x 3), MMVAE's pairing with k =
data.pairings pairs per train image (experiments/sources/mnist_svhn.py).
The default's model and settings (configs/synthetic.py): one conv
autoencoder per side, the Wyner VAE on their codes.

Needs 'mnist' and 'svhn_cropped' prepared as tfds ArrayRecord data (docs/data.md:
"MNIST-SVHN"), then:

  python -m experiments.main --config=configs/mnist_svhn.py --workdir=/tmp/mnist_svhn --config.data.tfds_dir=DIR

Its label metrics are the field's coherences: eval/accuracy_y_given_x is
the cross coherence MNIST -> SVHN, eval/accuracy_x_given_y SVHN -> MNIST,
eval/joint_coherence the joint coherence.

Variants: tiny (few pairings and steps, small networks: tests on
tfds.testing.mock_data, smoke runs).
"""

import ml_collections

from configs import synthetic
from experiments.sources import data_config

VARIANTS = ('tiny',)


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  synthetic.check_variant('configs/mnist_svhn.py', arg, VARIANTS)
  config = synthetic.default_config()
  config.data = data_config('mnist_svhn')
  # An epoch of 1.7 million pairs is 13,000 steps of 128: the default's
  # step counts see a fraction of it (MMVAE trains 30 epochs).
  if arg == 'tiny':
    synthetic.make_tiny(config)
    synthetic.wrap_tiny(config)
    config.data = data_config('mnist_svhn', pairings=2)
  return config
