"""What a run's counts say the central system is missing, in words a newcomer can act on."""

from __future__ import annotations

from ocpp.v16.enums import RegistrationStatus

from sim.stats import FleetStats


def missing_setup(stats: FleetStats, id_tags: tuple[str, ...]) -> list[str]:
    """One line per thing the central system lacked for chargers to boot and charge."""
    hints = []
    if stats.events.get("refused_http_404"):
        hints.append(
            "the central system does not know these charger ids: create them "
            "(`flask --app wsgi create-chargers` makes charger_1..3; or POST /api/chargers/), "
            "or start it with OCPP_AUTO_REGISTER=true"
        )
    if stats.events.get("refused_http_401"):
        hints.append(
            "the central system refused the chargers' credentials: pass --auth-key with "
            "the charger's AuthorizationKey"
        )
    if stats.registrations.get(RegistrationStatus.pending) and not stats.registrations.get(
        RegistrationStatus.accepted
    ):
        hints.append(
            "the chargers were answered Pending: accept them "
            '(PATCH /api/chargers/<name>/ {"registration_status": "Accepted"})'
        )
    if stats.events.get("sessions_not_authorized_Invalid"):
        hints.append(
            f"no session started: the central system answered idTag {', '.join(id_tags)} "
            "Invalid; add it (POST /api/id-tags/; `flask --app wsgi create-chargers` adds the "
            "demo tag SIMTAG01) or pass --id-tag with a tag it knows"
        )
    return hints
