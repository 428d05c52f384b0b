"""Adding findings to a validation result: one rule for typed contracts, contract levels and
reviews."""

from __future__ import annotations

import pytest

from codegen_tasks.domain.results import Finding, ValidationLevel, ValidationResult

ERROR = Finding(level=ValidationLevel.CONTRACT, message="mismatch", file="a.ts", line=3)
NOTE = Finding(level=ValidationLevel.STRUCTURAL, message="advice")


def test_a_failed_level_stays_failed_and_a_level_not_run_takes_the_verdict() -> None:
    failed = ValidationResult(contract_passed=False, errors=[ERROR])
    again = failed.with_findings(contract_passed=True)
    assert again.contract_passed is False and again.errors == [ERROR]
    fresh = ValidationResult(structural_passed=True).with_findings([ERROR], contract_passed=False)
    assert fresh.contract_passed is False and not fresh.passed and fresh.errors == [ERROR]
    assert ValidationResult().with_findings(runtime_passed=True).runtime_passed is True


def test_warnings_never_change_a_verdict() -> None:
    passed = ValidationResult(structural_passed=True, typescript_passed=True)
    advised = passed.with_findings(warnings=[NOTE])
    assert advised.passed and advised.warnings == [NOTE]
    assert advised.model_dump(exclude={"warnings"}) == passed.model_dump(exclude={"warnings"})


def test_only_validation_levels_can_be_judged() -> None:
    with pytest.raises(ValueError, match="not a validation level"):
        ValidationResult().with_findings(errors_passed=True)
