"""Equal-budget tuning (experiments/many_runs/tuning.py): every kind gets 8
configurations from its search space (its Kind.search_space, in its module), each
trained for half the final steps with seed 0 and read on a validation split
of 10% of the train pairs; the selected one per kind is trained with seeds
0, 1, 2 and reported on test.

  python -m experiments.tune --config=configs/tune.py --workdir=/tmp/tune

Variants:
  paired      your own pairs with configs/paired.py's defaults
              (--config.data.path=FILE.npz).
  mnist_poly  the offline two-shape pair (configs/mnist_poly.py).
  tiny        the tiny config, 2 candidates of the Wyner VAE and CVAE (tests).
"""

import ml_collections

from configs import mnist_poly
from configs import paired
from configs import synthetic

VARIANTS = ('paired', 'mnist_poly', 'tiny')


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  synthetic.check_variant('configs/tune.py', arg, VARIANTS)
  if arg == 'paired':
    config = paired.get_config()
  elif arg == 'mnist_poly':
    config = mnist_poly.get_config()
  elif arg == 'tiny':
    config = synthetic.get_config('tiny')
  else:
    config = synthetic.get_config()
  config.data.validation_fraction = 0.1
  config.tune = ml_collections.ConfigDict()
  config.tune.kinds = (('wyner', 'cvae') if arg == 'tiny' else
                       ('wyner', 'jmvae', 'cvae', 'vcca_private', 'mvae',
                        'mmvae'))
  config.tune.candidates = 2 if arg == 'tiny' else 8
  config.tune.candidate_scale = 0.5
  config.tune.seeds = (0, 1) if arg == 'tiny' else (0, 1, 2)
  config.tune.draw_seed = 0
  return config
