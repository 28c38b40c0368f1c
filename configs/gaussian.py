r"""Continuous latents: Z, U, V diagonal Gaussians with N(0, I) priors.

  python -m experiments.main --config=configs/gaussian.py --workdir=/tmp/wyner_gaussian

The same two steps and objectives as configs/synthetic.py, with the
closed-form Gaussian KL in place of the categorical one and reparameterized
samples in place of the Gumbel-softmax (tau.* has no effect). Sizes are
dimensions, (D,); (0,) removes a local latent. Everything else is
configs/synthetic.py; the `:tiny` variant is its tiny network.
"""

from configs import synthetic


def get_config(arg: str | None = None):
  if arg not in (None, 'tiny'):
    raise ValueError(f"unknown variant {arg!r} of configs/gaussian.py; "
                     "allowed: 'tiny' or none")
  config = synthetic.get_config(arg)
  config.model.latent_type = 'gaussian'
  config.model.z = (8,) if arg is None else (4,)
  config.model.u = (8,) if arg is None else (4,)
  config.model.v = (8,) if arg is None else (4,)
  return config
