"""The drivers of many runs: which models a config stacks (λ and seeds),
latent-size sweeps, the comparison of model kinds, the equal-budget tuning,
and mean ± std over seeds."""
