"""What the tuning (experiments/tuning.py) may change, per model kind.

A search space is a tuple of dimensions (name, options); an option is a
dict {config path: value} set together (latent families and their sizes go
together). A candidate takes one option of every dimension, drawn
independently. Every kind shares SHARED (the optimizer's learning rate and
the likelihood's 2 eps^2) and adds its own latents and weights: the same
number of candidates is drawn from each kind's space (`tuning`), whatever
its size.
"""

SHARED = (
    ('learning_rate', tuple({'learning_rate': v} for v in (3e-4, 1e-3, 3e-3))),
    ('two_eps_sq', tuple({'loss.two_eps_sq': v} for v in (1e-3, 1e-2, 1e-1))),
)


def _categorical(z, local=(0, 0)):
  """Categorical latents; `local` (u = v) left empty for models without."""
  return {'model.latent_type': 'categorical', 'model.local_type': '',
          'model.z': z, 'model.u': local, 'model.v': local}


def _gaussian(z, local=(0,)):
  return {'model.latent_type': 'gaussian', 'model.local_type': '',
          'model.z': z, 'model.u': local, 'model.v': local}


# Z, U and V of the Wyner VAE and bi-VCCA-private: the paper's categoricals,
# the authors' later Gaussian sizes (z 16, u = v 8), Gaussian locals of
# less capacity, and a categorical Z with Gaussian locals.
PRIVATE_LATENTS = (
    _categorical((1, 100), (1, 10)),
    _gaussian((16,), (8,)),
    _gaussian((16,), (2,)),
    {**_categorical((1, 100), (8,)), 'model.local_type': 'gaussian'},
)

SPACES = {
    'wyner': SHARED + (
        ('latents', PRIVATE_LATENTS),
        ('lam', tuple({'loss.lam': v} for v in (0.0, 0.5, 1.0))),
        ('marginal_tie', tuple({'loss.marginal_tie': v} for v in (0.0, 1.0))),
        ('cross_weight', tuple({'loss.cross_weight': v} for v in (0.0, 1.0, 3.0))),
    ),
    'vcca_private': SHARED + (('latents', PRIVATE_LATENTS),),
    'jmvae': SHARED + (
        ('latents', (_categorical((1, 100)), _gaussian((16,)))),
        ('alpha', tuple({'loss.alpha': v} for v in (0.1, 1.0, 10.0))),
    ),
    'cvae': SHARED + (
        ('latents', (_categorical((1, 100)), _gaussian((8,)),
                     _gaussian((16,)))),
    ),
    'mvae': SHARED + (
        ('expert_z', tuple({'model.expert_z': v} for v in ((10,), (20,), (32,)))),
    ),
    'mmvae': SHARED + (
        ('expert_z', tuple({'model.expert_z': v} for v in ((10,), (20,), (32,)))),
    ),
}
