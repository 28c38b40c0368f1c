"""The models the Wyner VAE is compared with, in the same harness.

Each module defines one model from its paper: its objective as a pure
function of arrays (written out in its docstring, as `wyner_jax.joint_loss`
is), and the model (networks, parameters, `loss_fn`, and the sampling
surface of `wyner_jax.baselines.base`).

  jmvae         JMVAE-KL         `jmvae_loss`
  cvae          CVAE per direction  `cvae_loss`
  vcca_private  bi-VCCA-private  `vcca_private_loss`
  mvae          MVAE             `mvae_loss`, `product_of_experts`
  mmvae         MMVAE            `mmvae_loss`

Each module also declares its kind (`KIND`: how it is built from a config,
its phase), which `KINDS` collects for the registry of
`wyner_jax.phases`; `wyner_jax.phases.model_from_config` builds one from
`config.model.kind`.
"""

from wyner_jax.baselines.cvae import CVAE
from wyner_jax.baselines.cvae import cvae_loss
from wyner_jax.baselines.jmvae import JMVAE
from wyner_jax.baselines.jmvae import jmvae_loss
from wyner_jax.baselines.mmvae import MMVAE
from wyner_jax.baselines.mmvae import mmvae_loss
from wyner_jax.baselines.mvae import MVAE
from wyner_jax.baselines.mvae import mvae_loss
from wyner_jax.baselines.mvae import product_of_experts
from wyner_jax.baselines.vcca import VCCAPrivate
from wyner_jax.baselines.vcca import vcca_private_loss

from wyner_jax.baselines import cvae, jmvae, mmvae, mvae, vcca

# config.model.kind -> the model class ('wyner': wyner_jax.WynerVAE).
BASELINES = {'jmvae': JMVAE, 'cvae': CVAE, 'vcca_private': VCCAPrivate,
             'mvae': MVAE, 'mmvae': MMVAE}
# config.model.kind -> its registry entry (`wyner_jax.kinds.Kind`).
KINDS = {'jmvae': jmvae.KIND, 'cvae': cvae.KIND, 'vcca_private': vcca.KIND,
         'mvae': mvae.KIND, 'mmvae': mmvae.KIND}

__all__ = ['BASELINES', 'KINDS', 'CVAE', 'JMVAE', 'MMVAE', 'MVAE', 'VCCAPrivate',
           'cvae_loss', 'jmvae_loss', 'mmvae_loss', 'mvae_loss',
           'product_of_experts', 'vcca_private_loss']
