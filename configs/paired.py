"""Your own paired data: two arrays of any shapes and, optionally, one shared
label per pair, from an .npz file (experiments/sources/paired.py says what
it must hold):

  python -m experiments.main --config=configs/paired.py --config.data.path=FILE.npz --workdir=/tmp/paired

MLPs on the flattened values of each side (no wrapper: the sides need not be
images; linear outputs where a side's values leave [0, 1]), the default's
latents, lambda and learned priors, 2 eps^2 = 1e-2 per unit of squared
error. Choose loss.two_eps_sq (and loss.y_weight) for the scale of your
data, and model.u, model.v for the size of each side's own variation: on the
arrays of tests/test_paired.py (a class of 5 shared by both sides, a style
of 4 per side, widths 12 and 20) the tiny variant with |U| = |V| = (1,4)
and 600 steps per phase put the class in Z (latent probe 0.99) and not in V
(y from a random z and the encoder's v: 0.19, chance 0.2).

Variants: tiny (few steps, small networks: tests and smoke runs).
"""

import ml_collections

from configs import synthetic
from experiments.sources import data_config

VARIANTS = ('tiny',)


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  synthetic.check_variant('configs/paired.py', arg, VARIANTS)
  config = synthetic.default_config()
  config.data = data_config('paired')
  config.model.wrapper = 'none'
  config.loss.two_eps_sq = 1e-2
  config.eval.autoencoder_steps = 0  # the ae_ reading needs images
  if arg == 'tiny':
    synthetic.make_tiny(config)
    config.model.prior = 'learned'
    config.data = data_config('paired')
  return config
