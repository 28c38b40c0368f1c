"""wyner_jax: the Wyner VAE (common and local latents for paired data) in JAX."""

__version__ = '0.2.0'
