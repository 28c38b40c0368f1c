"""The poster's "synthetic" experiment: Add-1 MNIST pairs.

Default (since 0.7.0): the paper's convolutional autoencoder wrapper with
learned priors, the setting under which U and V carry style
(docs/method_choices.md, 3 seeds): |Z| = (1,100), |U| = |V| = (1,10) on the
autoencoder's 16-number codes, 2 eps^2 = 1e-3, lambda 0.5, p_theta(z),
p_theta(u), p_theta(v) learned. On the embedded 5,000-image MNIST subset,
runs offline:

  python -m experiments.main --config=configs/synthetic.py --workdir=/tmp/wyner

Variants (`--config=configs/synthetic.py:VARIANT`):
  pixels  the default of 0.3.0-0.6.0: MLPs on pixels, |U| = |V| = (2,10)
        (the poster's setting), 2 eps^2 = 1e-4, lambda 3e4, uniform priors.
        gaussian.py and the `:pixels` variants of lambda_sweep.py,
        sweep_z.py and sweep_uv.py build on it, as their documented
        results did.
  tiny  few steps and a small network on pixels: both steps and all outputs
        in well under 2 minutes on 2 CPU cores (tests, smoke runs).
  tfds  the default on full MNIST through tensorflow-datasets, 5,000 pairs
        per class as in the paper (prepare the data set first, see docs/configs.md).

Any field can be overridden, e.g. --config.model.z="(1,50)" --config.loss.lam=1.
configs/mnist_poly.py, mnist_svhn.py and paired.py run this default on
other data.
"""

import ml_collections

from experiments.sources import data_config

VARIANTS = ('pixels', 'tiny', 'tfds')


def check_variant(path: str, arg: str | None, variants: tuple[str, ...]) -> None:
  """Refuses a variant `arg` the config file at `path` does not have."""
  if arg not in (None, *variants):
    raise ValueError(f'unknown variant {arg!r} of {path}; allowed: '
                     f'{", ".join(map(repr, variants))} or none')


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  check_variant('configs/synthetic.py', arg, VARIANTS)
  if arg == 'pixels':
    return pixels_config()
  if arg == 'tiny':
    config = pixels_config()
    make_tiny(config)
    return config
  config = default_config()
  if arg == 'tfds':
    config.data = data_config('tfds', pairs_per_class=5000)
  return config


def default_config() -> ml_collections.ConfigDict:
  """Every field, at the default's values."""
  config = ml_collections.ConfigDict()
  config.seed = 0

  # The data source and its fields (experiments/sources/): Add-1 pairs of
  # the embedded MNIST subset, 400 train pairs per label of x.
  config.data = data_config('embedded')

  config.model = ml_collections.ConfigDict()
  # The model: 'wyner' (the Wyner VAE), or a model it is compared with
  # (wyner_jax/baselines/, experiments/compare.py): 'jmvae', 'cvae',
  # 'vcca_private', 'mvae', 'mmvae'. A baseline trains in one phase of
  # joint.num_steps steps with the networks, data, batch and optimizer below.
  config.model.kind = 'wyner'
  # The Gaussian latent (D,) of the models of Gaussian experts ('mvae',
  # 'mmvae'); the others' latents are z, u, v below.
  config.model.expert_z = (20,)
  # 'categorical' (the paper: sizes (N, K)) or 'gaussian' (sizes (D,),
  # configs/gaussian.py; tau.* then has no effect).
  config.model.latent_type = 'categorical'
  # Departs from the paper when set: the family of U and V alone ('' = as
  # latent_type), e.g. 'gaussian' with u = v = (D,) (docs/method_choices.md).
  config.model.local_type = ''
  config.model.z = (1, 100)  # (N, K) of the common latent
  # (N, K) of X's and Y's local latents; (0, 0) for none. (1,10) leaves
  # too little room for the label besides the style.
  config.model.u = (1, 10)
  config.model.v = (1, 10)
  config.model.hidden = 512
  config.model.depth = 2  # hidden layers per MLP ("three layers" in the paper)
  # Departs from the paper: encoder logits pass through b * tanh(l / b). With
  # the paper's 2 eps^2 = 1e-4 the unbounded model collapses to the mean image
  # (docs/method_choices.md). 0 disables it.
  config.model.logit_bound = 5.0
  # 'conv': the paper's wrapper, a convolutional autoencoder per domain of
  # the data trained first (its own step, autoencoder.num_steps); the Wyner
  # VAE models its codes of code_size numbers and its samples are decoded
  # to images. On codes a squared error is small, so the KLs bind: U and V
  # stay alive (on pixels they collapse to one code) and carry slant.
  # 'none': the data themselves (any shapes, flattened).
  config.model.wrapper = 'conv'
  config.model.code_size = 16
  # 'learned': the poster's p_theta(z), p_theta(u), p_theta(v), prior
  # parameters trained in step 1 (toward the aggregate posterior), sampled
  # by joint and conditional generation. 'uniform': the fixed priors, which
  # over 100 Z codes mostly drew codes the encoder rarely uses (joint
  # coherence: docs/method_choices.md).
  config.model.prior = 'learned'
  # The joint encoders of U and V: 'pair', the poster's q(u|x,y), q(v|x,y);
  # 'z_side', the authors' later code's q(u|z,x), q(v|z,y) (docs/results.md
  # measures it).
  config.model.local_encoder = 'pair'
  # How conditional generation takes z from q(z|x): 'sample' (the poster's
  # z ~ q(z|x)) or 'mode' (its mode or mean, only the local latent drawn, as
  # the authors' later code samples); every kind reads it (a model without
  # local latents then gives one output per condition). Not a training
  # field: a finished run may be evaluated either way.
  config.model.conditional_z = 'sample'
  # The networks' computation type: 'float32' or 'bfloat16' (matmuls and
  # activations; parameters, optimizer state, KLs and loss stay float32).
  # docs/performance.md says when bfloat16 pays.
  config.model.dtype = 'float32'

  config.loss = ml_collections.ConfigDict()
  # lambda, the extra weight on KL(q(z|x,y) || p(z)). The poster's figures
  # use 0; 0.5 < 1 prices Z's nats above U's (style leaves Z) but below U's
  # and V's together (the shared label stays in Z).
  config.loss.lam = 0.5
  config.loss.two_eps_sq = 1e-3  # 2 eps^2 of the relaxed delta decoder
  # What two_eps_sq is measured in: 'absolute' (2 eps^2 itself, the
  # paper's) or 'total_variance' (a fraction of each side's total variance
  # over the train pairs: 1 / two_eps_sq nats for reconstructing a side
  # exactly rather than by its mean, whatever its size and scale).
  config.loss.two_eps_sq_unit = 'absolute'
  # Y's likelihood weight w: Y's 2 eps^2 is two_eps_sq / w (MMVAE and the
  # authors' later code weight modalities; 1: one eps for both sides).
  config.loss.y_weight = 1.0
  # Departs from the paper when > 0: weight of KL(q_bar(u)||p(u)) +
  # KL(q_bar(v)||p(v)) on the batch's aggregate local posteriors, which keeps
  # U and V from giving every pair the same code (docs/method_choices.md).
  config.loss.local_aggregate_kl = 0.0
  # Departs from the paper when > 0: step 2 adds t * (KL(q(z|x,y) || q(z|x))
  # + KL(q(z|x,y) || q(z|y))), JMVAE-KL's tie of the marginal encoders of z
  # to the joint posterior the decoders were trained on (the poster's step 2
  # fits q(z|x) to x alone). docs/method_choices.md measures it.
  config.loss.marginal_tie = 0.0
  # Departs from the paper when > 0: step 1 adds c * (L1 with z ~ q~(z|x) +
  # L1 with z ~ q~(z|y)), unimodal encoders decoding both sides (cross
  # reconstruction), so that Z keeps only what either side can give
  # (wyner_jax.phases.joint_loss_fn; docs/method_choices.md measures it).
  config.loss.cross_weight = 0.0
  # On the cross path, the other side's local latent: 'posterior' (the joint
  # path's sample) or 'prior' (drawn from p(v), p(u), as MMVAE+ decodes
  # across; wyner_jax.model.WynerVAE's cross_locals).
  config.loss.cross_locals = 'posterior'
  # JMVAE-KL's alpha, the weight of its unimodal terms (model.kind='jmvae').
  config.loss.alpha = 1.0

  config.tau = ml_collections.ConfigDict()  # tau = max(minimum, initial*exp(-decay*step))
  config.tau.initial = 1.0
  config.tau.minimum = 0.5
  config.tau.decay = 5e-4
  config.tau.hard = False  # straight-through one-hot samples

  config.autoencoder = ml_collections.ConfigDict()  # model.wrapper='conv' only
  # Its own Adam learning rate, whatever the model's (every model of a
  # tuning models the codes of one autoencoder). Shorter schedules keep the
  # judged ceiling (500 steps at 3e-3: 0.915) but not the model's results on
  # their codes (per-condition FD 226 against 183): docs/performance.md §12.
  config.autoencoder.num_steps = 2000
  config.autoencoder.learning_rate = 1e-3
  config.joint = ml_collections.ConfigDict()
  config.joint.num_steps = 3000
  config.marginal = ml_collections.ConfigDict()
  config.marginal.num_steps = 2000

  # Models trained together in one program (experiments/many_runs/lambda_sweep.py): one
  # lambda and/or seed per model; both empty = one model (loss.lam, seed).
  config.lambda_sweep = ml_collections.ConfigDict()
  config.lambda_sweep.lams = ()
  config.lambda_sweep.seeds = ()
  config.lambda_sweep.sweep_devices = 1  # devices along the mesh's 'sweep' axis

  config.batch_size = 128  # pairs per step of each model, split over 'data'
  config.learning_rate = 1e-3
  config.checkpoint_every = 500
  config.log_every_secs = 5.0

  config.eval = ml_collections.ConfigDict()
  config.eval.classifier_steps = 2000  # the classifiers that judge samples
  # The autoencoder whose codes give the second reading of variability and
  # FD (eval/ae_*), cached beside the classifiers; 0: no second reading.
  config.eval.autoencoder_steps = 2000
  # The cache of both judges; '' = the user cache (experiments/cache.py).
  config.eval.classifier_dir = ''

  return config


def pixels_config() -> ml_collections.ConfigDict:
  """The `pixels` variant: the default of 0.3.0-0.6.0, MLPs on pixels."""
  config = default_config()
  config.model.wrapper = 'none'
  config.model.u = (2, 10)  # the poster's
  config.model.v = (2, 10)
  config.model.prior = 'uniform'
  # lambda * 2 eps^2 = 3 squeezes Z to the label and makes prior samples
  # coherent (docs/method_choices.md, 3 seeds each).
  config.loss.lam = 3e4
  config.loss.two_eps_sq = 1e-4  # the paper's
  return config


def wrap_tiny(config: ml_collections.ConfigDict) -> None:
  """The tiny config inside a tiny wrapper, with the default's learned
  priors: what tests of the default's sweeps run."""
  config.model.wrapper = 'conv'
  config.model.code_size = 8
  config.model.prior = 'learned'


def make_tiny(config: ml_collections.ConfigDict) -> None:
  """Few steps and small networks (tests, smoke runs)."""
  # lambda 0: in 40 steps a squeezed Z would not yet hold the label.
  config.loss.lam = 0.0
  config.data.pairs_per_class = 64
  if 'embedded_test_per_class' in config.data:
    # 200 test pairs: evaluation costs in proportion to them.
    config.data.embedded_test_per_class = 20
  config.model.z = (1, 10)
  config.model.u = (1, 10)
  config.model.v = (1, 10)
  config.model.hidden = 64
  config.model.depth = 1
  config.joint.num_steps = 40
  config.marginal.num_steps = 40
  config.autoencoder.num_steps = 40
  config.batch_size = 32
  config.checkpoint_every = 20
  config.log_every_secs = 1.0
  config.eval.classifier_steps = 200
  config.eval.autoencoder_steps = 0  # tests/test_wrapper.py reads it
