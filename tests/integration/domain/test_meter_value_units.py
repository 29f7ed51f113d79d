"""SampledValue.unit as OCPP 1.6 defines it: omitted means Wh only for an Energy measurand;
any other measurand without a unit is stored without one, and never counts as energy."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.models import MeterValue, Transaction
from domain.services.sessions import finalize_session
from tests.sessions_builder import T0, add_charger, meter, start, stop


def sample(value, **fields):
    return {"timestamp": "2025-03-01T08:30:00Z", "sampledValue": [{"value": value, **fields}]}


@pytest.mark.parametrize(
    ("fields", "unit"),
    [
        ({}, "Wh"),  # the default measurand is Energy.Active.Import.Register
        ({"measurand": "Energy.Active.Import.Register"}, "Wh"),
        ({"measurand": "Energy.Reactive.Export.Interval"}, "Wh"),
        ({"measurand": "Power.Active.Import"}, None),
        ({"measurand": "Current.Import"}, None),
        ({"measurand": "SoC"}, None),
        ({"measurand": "Temperature"}, None),
        ({"measurand": "Power.Active.Import", "unit": "kW"}, "kW"),
    ],
)
def test_a_sample_without_a_unit_takes_wh_only_for_energy(db, fields, unit):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-U")
        transaction_id = start(session, charger)
        meter(session, charger, transaction_id, sample("42", **fields))
    with db.unit_of_work() as session:
        assert session.scalars(select(MeterValue.unit)).all() == [unit]


def test_power_without_a_unit_never_counts_as_energy(db):
    with db.unit_of_work() as session:
        charger = add_charger(session, "CP-P")
        transaction_id = start(session, charger, meter_start=1_000)
        meter(
            session,
            charger,
            transaction_id,
            sample("7200", measurand="Power.Active.Import", context="Transaction.End"),
        )
        stop(session, charger, transaction_id, meter_stop=3_000, at=T0 + timedelta(hours=1))
    with db.unit_of_work() as session:
        finalize_session(session, transaction_id, T0 + timedelta(hours=2))
    with db.unit_of_work() as session:
        finalized = session.get(Transaction, transaction_id)
        assert finalized.energy_consumed_kwh == pytest.approx(2.0)
        assert finalized.anomaly is None
