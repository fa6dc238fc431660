"""Typed events: severities, constructors from domain errors and verdicts, JSON round trip."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from pydantic import TypeAdapter, ValidationError
from tests.unit.integrations import events_factory as ev

from tradepit.broker.reconcile import ReconciliationError
from tradepit.broker.resilience import CircuitOpenError
from tradepit.domain.errors import InsufficientBuyingPowerError
from tradepit.domain.models import (
    OrderRequest,
    RiskReason,
    RiskVerdict,
    Side,
    TradingState,
)
from tradepit.integrations.events import (
    NotifyEvent,
    OrderRejected,
    RiskStateChanged,
    ServiceAlert,
    Severity,
)

T = ev.T


def test_alert_kind_and_severity_from_the_error_class():
    circuit = ServiceAlert.from_error("alpaca", CircuitOpenError("alpaca", 12.5), T)
    assert (circuit.alert, circuit.severity, circuit.retry_after) == (
        "circuit_open",
        Severity.CRITICAL,
        12.5,
    )
    recon = ServiceAlert.from_error("startup", ReconciliationError("3 unknown orders"), T)
    assert (recon.alert, recon.severity, recon.error_type) == (
        "reconciliation_failure",
        Severity.CRITICAL,
        "ReconciliationError",
    )
    other = ServiceAlert.from_error("agent", ValueError("bad reply"), T)
    assert (other.alert, other.severity, other.message) == ("error", Severity.WARNING, "bad reply")
    assert other.model_copy(update={"level": Severity.CRITICAL}).severity is Severity.CRITICAL


@pytest.mark.parametrize(
    ("state", "severity"),
    [
        (TradingState.HALTED, Severity.CRITICAL),
        (TradingState.REDUCING, Severity.WARNING),
        (TradingState.ACTIVE, Severity.INFO),
    ],
)
def test_risk_state_severity(state, severity):
    event = RiskStateChanged(at=T, scope="run-1", previous=TradingState.ACTIVE, state=state)
    assert event.severity is severity


def test_rejections_from_a_verdict_and_from_a_broker_error():
    request = OrderRequest(
        symbol="ACME", side=Side.BUY, qty=Decimal(50), client_order_id="run1-c2-ACME-entry"
    )
    verdict = RiskVerdict(
        approved=False,
        request=request,
        reasons=(
            RiskReason(code="MAX_POSITION_PCT", message="25% > 20% of equity"),
            RiskReason(code="NOTE", message="informational", blocking=False),
        ),
    )
    risk = OrderRejected.from_verdict(verdict, "acct-1", T, competitor="claude")
    assert (risk.source, risk.codes, risk.reason, risk.qty) == (
        "risk",
        ("MAX_POSITION_PCT",),
        "25% > 20% of equity",
        Decimal(50),
    )
    error = InsufficientBuyingPowerError("needs 5,000.00, buying power is 1,000.00")
    broker = OrderRejected.from_error(request, error, "acct-1", T)
    assert (broker.source, broker.codes, broker.client_order_id) == (
        "broker",
        ("insufficient_buying_power",),
        "run1-c2-ACME-entry",
    )
    assert broker.severity is Severity.WARNING


def test_events_round_trip_through_json_by_kind():
    adapter = TypeAdapter(NotifyEvent)
    for event in (ev.filled(), ev.rejected(), ev.halted(), ev.outage(), ev.battle()):
        assert adapter.validate_json(adapter.dump_json(event)) == event


def test_event_times_must_be_aware():
    with pytest.raises(ValidationError, match="timezone-aware"):
        RiskStateChanged(
            at=datetime(2024, 3, 5),
            scope="global",
            previous=TradingState.ACTIVE,
            state=TradingState.HALTED,
        )
