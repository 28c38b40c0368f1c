"""The Wyner VAE against five bimodal models (experiments/many_runs/comparison.py).

Every model with the default's networks, wrapper, data, batch, optimizer
and steps (configs/synthetic.py; a baseline's one phase takes the Wyner
VAE's two steps together), seeds 0, 1, 2:

  python -m experiments.compare --config=configs/compare.py --workdir=/tmp/compare

Variants:
  mnist_poly  the same on the offline two-shape pair (configs/mnist_poly.py).
  paired      the same on your own pairs with configs/paired.py's defaults
              (--config.data.path=FILE.npz); every kind is read with z at
              the mode, as those defaults read the Wyner VAE (the models
              without private latents, JMVAE-KL, CVAE, MVAE and MMVAE, then
              draw one image per condition; for their sampled reading,
              the stronger one in docs/results.md, rerun the command with
              --config.model.conditional_z=sample: checkpoints do not
              record the field, so the models are restored and read again).
  tiny        the tiny model inside a tiny wrapper, two seeds (tests).
"""

import ml_collections

from configs import mnist_poly
from configs import paired
from configs import synthetic
from wyner_jax.phases import KINDS

VARIANTS = ('mnist_poly', 'paired', 'tiny')


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  synthetic.check_variant('configs/compare.py', arg, VARIANTS)
  if arg == 'mnist_poly':
    config = mnist_poly.get_config()
  elif arg == 'paired':
    config = paired.get_config()
  elif arg == 'tiny':
    config = synthetic.get_config('tiny')
    synthetic.wrap_tiny(config)
  else:
    config = synthetic.get_config()
  config.compare = ml_collections.ConfigDict()
  config.compare.kinds = KINDS  # 'wyner' first: it trains the shared wrapper
  config.compare.seeds = (0, 1) if arg == 'tiny' else (0, 1, 2)
  return config
