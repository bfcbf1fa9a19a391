"""Certification: policies, equivalence decisions, certificates and their verification."""

from judgeaudit.certification.certificate import CERTIFICATE, build_certificate, verify, write_certificate
from judgeaudit.certification.decide import decide
from judgeaudit.certification.decision import EXIT_CODES, Decisions
from judgeaudit.certification.policy import Limits, Policy, load_policy

__all__ = [
    "CERTIFICATE", "EXIT_CODES", "Decisions", "Limits", "Policy", "build_certificate", "decide",
    "load_policy", "verify", "write_certificate",
]
