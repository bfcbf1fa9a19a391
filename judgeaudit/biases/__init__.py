"""The bias taxonomy: YAML definitions, perturbation methods and probe construction."""

from judgeaudit.biases.probes import build_probes
from judgeaudit.biases.registry import builtin_templates_dir, load_registry, select_biases
from judgeaudit.biases.spec import BiasSpec, load_spec

__all__ = ["BiasSpec", "build_probes", "builtin_templates_dir", "load_registry", "load_spec", "select_biases"]
