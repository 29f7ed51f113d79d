"""measure_energy: the session's energy is what the meter says, checked, never invented."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.services.sessions import RegisterSample, measure_energy

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


def sample(minutes: float, wh: float, context: str = "Sample.Periodic") -> RegisterSample:
    return RegisterSample(START + timedelta(minutes=minutes), wh, context)


def test_energy_is_meter_stop_minus_meter_start_in_kwh():
    reading = measure_energy(1_000_000, 1_022_500, [], START, END)
    assert reading.kwh == pytest.approx(22.5)
    assert reading.anomaly is None


def test_matching_transaction_begin_and_end_samples_raise_no_anomaly():
    samples = [
        sample(0, 1_000_000, "Transaction.Begin"),
        sample(60, 1_011_000),
        sample(120, 1_022_505, "Transaction.End"),
    ]
    reading = measure_energy(1_000_000, 1_022_500, samples, START, END)
    assert reading.kwh == pytest.approx(22.5)
    assert reading.anomaly is None


def test_meter_going_backwards_is_flagged_and_gets_no_number():
    reading = measure_energy(50_000, 40_000, [], START, END)
    assert reading.kwh is None
    assert "backwards" in reading.anomaly
    assert "50000" in reading.anomaly and "40000" in reading.anomaly


def test_absurd_reading_is_flagged_not_replaced_by_a_power_times_time_estimate():
    # 5,000 kWh in two hours would be 2.5 MW: no charger delivers that.
    reading = measure_energy(0, 5_000_000, [], START, END)
    assert reading.kwh is None
    assert "absurd" in reading.anomaly


def test_high_but_possible_dc_session_is_kept():
    reading = measure_energy(0, 600_000, [], START, END)  # 300 kW for two hours
    assert reading.kwh == pytest.approx(600.0)
    assert reading.anomaly is None


def test_missing_meter_stop_uses_the_transaction_end_sample():
    samples = [sample(0, 2_000, "Transaction.Begin"), sample(120, 9_500, "Transaction.End")]
    reading = measure_energy(2_000, None, samples, START, END)
    assert reading.kwh == pytest.approx(7.5)
    assert "Transaction.End sample" in reading.anomaly


def test_missing_meter_stop_without_end_sample_gives_no_number():
    reading = measure_energy(2_000, None, [sample(30, 4_000)], START, END)
    assert reading.kwh is None
    assert "no meterStop" in reading.anomaly


def test_samples_disagreeing_with_registers_are_noted_but_registers_count():
    samples = [sample(0, 1_000, "Transaction.Begin"), sample(120, 30_000, "Transaction.End")]
    reading = measure_energy(1_000, 11_000, samples, START, END)
    assert reading.kwh == pytest.approx(10.0)
    assert "meterStop 11000 Wh but Transaction.End sample 30000 Wh" in reading.anomaly


def test_register_samples_going_backwards_are_noted():
    samples = [sample(10, 3_000), sample(20, 2_000), sample(30, 4_000)]
    reading = measure_energy(1_000, 5_000, samples, START, END)
    assert reading.kwh == pytest.approx(4.0)
    assert "samples go backwards" in reading.anomaly


def test_zero_energy_session_is_zero_not_empty():
    reading = measure_energy(7_777, 7_777, [], START, START)
    assert reading.kwh == 0.0
    assert reading.anomaly is None


def test_session_ending_before_it_starts_is_noted():
    reading = measure_energy(0, 1_000, [], START, START - timedelta(minutes=5))
    assert reading.kwh == pytest.approx(1.0)
    assert "ends before it starts" in reading.anomaly
