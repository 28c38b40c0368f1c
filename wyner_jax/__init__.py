"""wyner_jax: the Wyner VAE (common and local latents for paired data) in JAX.

The public surface for reuse in other JAX projects (docs/api.md): latent
functions and families, the two objectives as pure functions of arrays, and
the sampling procedures over the caller's encoder and decoder callables (no
networks, no global state; jit-, grad- and vmap-compatible), our model, and
`WynerError`, the base class of every error raised about bad input (with
its subclasses for arguments: `ArgumentError`, `ArgumentTypeError`,
`ShapeError`).

Also reusable, imported by name: `wyner_jax.baselines` (the five models
the Wyner VAE is compared with, their objectives), `wyner_jax.train` (train state, the
vmapped train step, the loop of one phase), `wyner_jax.stack` (the stack of
models a run trains), `wyner_jax.checkpoints`, `wyner_jax.sharding` and
`wyner_jax.loading.load_model` (one trained model of a workdir).
"""

from wyner_jax.contracts import ShapeError
from wyner_jax.errors import ArgumentError
from wyner_jax.errors import ArgumentTypeError
from wyner_jax.errors import WynerError
from wyner_jax.latents import Categorical
from wyner_jax.latents import Gaussian
from wyner_jax.latents import LatentFamily
from wyner_jax.latents import aggregate_kl_to_uniform
from wyner_jax.latents import bound_logits
from wyner_jax.latents import gaussian_kl
from wyner_jax.latents import gaussian_kl_to_standard
from wyner_jax.latents import gaussian_sample
from wyner_jax.latents import gumbel_softmax
from wyner_jax.latents import kl_categorical
from wyner_jax.latents import kl_to_uniform
from wyner_jax.latents import mode_one_hot
from wyner_jax.latents import sample_one_hot
from wyner_jax.latents import sample_prior
from wyner_jax.latents import temperature
from wyner_jax.losses import joint_loss
from wyner_jax.losses import marginal_loss
from wyner_jax.losses import marginal_side_loss
from wyner_jax.losses import posterior_tie
from wyner_jax.losses import squared_error
from wyner_jax.model import WynerVAE
from wyner_jax.sampling import generate_conditional
from wyner_jax.sampling import generate_joint
from wyner_jax.sampling import transfer_style

__version__ = '1.0.0'

__all__ = [
    'ArgumentError',
    'ArgumentTypeError',
    'Categorical',
    'Gaussian',
    'LatentFamily',
    'ShapeError',
    'WynerError',
    'WynerVAE',
    '__version__',
    'aggregate_kl_to_uniform',
    'bound_logits',
    'gaussian_kl',
    'gaussian_kl_to_standard',
    'gaussian_sample',
    'generate_conditional',
    'generate_joint',
    'gumbel_softmax',
    'joint_loss',
    'kl_categorical',
    'kl_to_uniform',
    'marginal_loss',
    'marginal_side_loss',
    'mode_one_hot',
    'posterior_tie',
    'sample_one_hot',
    'sample_prior',
    'squared_error',
    'temperature',
    'transfer_style',
]
