"""Static contract discovery (tree-sitter) and the contract-related validation levels."""

from codegen_tasks.checks.contracts.discovery import (
    CalledPattern,
    DiscoveryReport,
    HttpRoute,
    called_patterns,
    canonical_pattern,
    discover,
    discover_contracts,
)
from codegen_tasks.checks.contracts.levels import ContractLevels, contract_levels
from codegen_tasks.checks.contracts.rules import (
    contract_findings,
    discovery_findings,
    health_findings,
)
from codegen_tasks.domain.results import LevelFindings

__all__ = [
    "CalledPattern",
    "ContractLevels",
    "DiscoveryReport",
    "HttpRoute",
    "LevelFindings",
    "called_patterns",
    "canonical_pattern",
    "contract_findings",
    "contract_levels",
    "discover",
    "discover_contracts",
    "discovery_findings",
    "health_findings",
]
