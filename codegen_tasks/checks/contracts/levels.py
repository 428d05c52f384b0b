"""One entry point for the three contract-related validation levels of a bundle."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from codegen_tasks.checks.contracts.discovery import CalledPattern, HttpRoute, discover
from codegen_tasks.checks.contracts.rules import (
    contract_findings,
    discovery_findings,
    health_findings,
)
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import ContractSet, Finding, ValidationResult
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.domain.wire import Message


class ContractLevels(Message):
    """Discovered contracts and the verdicts of the contract, health_check and
    contract_discovery levels, with their findings split into errors and warnings."""

    contracts: ContractSet
    calls: list[CalledPattern] = Field(default_factory=list)
    routes: list[HttpRoute] = Field(default_factory=list)
    errors: list[Finding] = Field(default_factory=list)
    warnings: list[Finding] = Field(default_factory=list)
    contract_passed: bool
    health_check_passed: bool
    contract_discovery_passed: bool

    def apply(self, result: ValidationResult) -> ValidationResult:
        """A copy of `result` with these three levels' verdicts and findings added."""
        return result.with_findings(
            self.errors,
            self.warnings,
            contract_passed=self.contract_passed,
            health_check_passed=self.health_check_passed,
            contract_discovery_passed=self.contract_discovery_passed,
        )


def contract_levels(
    spec: ServiceSpec,
    files: list[GeneratedFile],
    *,
    dependency_contracts: Mapping[str, ContractSet] | None = None,
) -> ContractLevels:
    """Discover the bundle's contracts once and run the three levels over them.

    `dependency_contracts` (service name -> its discovered contracts) makes calls to those
    dependencies checked against what they really handle instead of their graph actions.
    """
    report = discover(files)
    contracts = report.contract_set()
    contract = contract_findings(
        spec, contracts, files, report=report, dependency_contracts=dependency_contracts
    )
    health = health_findings(spec, contracts, files, report=report)
    shape = discovery_findings(spec, contracts, files, report=report)
    levels = (contract, health, shape)
    return ContractLevels(
        contracts=contracts,
        calls=report.calls,
        routes=report.routes,
        errors=[f for level in levels for f in level.errors],
        warnings=[f for level in levels for f in level.warnings],
        contract_passed=contract.passed,
        health_check_passed=health.passed,
        contract_discovery_passed=shape.passed,
    )
