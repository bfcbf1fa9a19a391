"""Certification: policies, equivalence decisions, certificates and their verification."""

from judgeaudit.certify.certificate import CERTIFICATE, build_certificate, verify, write_certificate
from judgeaudit.certify.decide import EXIT_CODES, Decisions, decide
from judgeaudit.certify.policy import Limits, Policy, load_policy

__all__ = [
    "CERTIFICATE", "EXIT_CODES", "Decisions", "Limits", "Policy", "build_certificate", "decide",
    "load_policy", "verify", "write_certificate",
]
