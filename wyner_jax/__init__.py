"""wyner_jax: the Wyner VAE (common and local latents for paired data) in JAX.

The public surface for reuse in other JAX projects: latent functions and the
two objectives as pure functions of arrays (no networks, no global state;
jit-, grad- and vmap-compatible), the model and the launcher entry point.
"""

from wyner_jax.latents import bound_logits
from wyner_jax.latents import gaussian_kl_to_standard
from wyner_jax.latents import gaussian_sample
from wyner_jax.latents import gumbel_softmax
from wyner_jax.latents import kl_to_uniform
from wyner_jax.latents import mode_one_hot
from wyner_jax.latents import sample_one_hot
from wyner_jax.latents import sample_prior
from wyner_jax.latents import temperature
from wyner_jax.losses import joint_loss
from wyner_jax.losses import marginal_loss
from wyner_jax.losses import marginal_side_loss
from wyner_jax.losses import squared_error
from wyner_jax.model import WynerVAE

__version__ = '0.2.0'

__all__ = [
    'WynerVAE',
    '__version__',
    'bound_logits',
    'gaussian_kl_to_standard',
    'gaussian_sample',
    'gumbel_softmax',
    'joint_loss',
    'kl_to_uniform',
    'marginal_loss',
    'marginal_side_loss',
    'mode_one_hot',
    'sample_one_hot',
    'sample_prior',
    'squared_error',
    'temperature',
]
