"""Batch screening: trace a list of wallets from the store, flag each under a policy file, and report."""

from __future__ import annotations

from .model import BatchSummary, Outcome
from .policy import Policy, PolicyError, read_policy
from .rules import RULE_KINDS, ExposureRule, Flag, Rule, UnlabeledRule, WithinHopsRule
from .runner import run_batch
from .wallets import Wallet, read_wallets

__all__ = ["RULE_KINDS", "BatchSummary", "ExposureRule", "Flag", "Outcome", "Policy", "PolicyError", "Rule",
           "UnlabeledRule", "Wallet", "WithinHopsRule", "read_policy", "read_wallets", "run_batch"]
