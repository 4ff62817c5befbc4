"""Finding 4: probes for ids that never existed stayed in the compliance access log while probes for hidden ids were
filtered out, so an officer cleared low told them apart. Both now show as the same refusal, neither naming the id."""

from __future__ import annotations

import pytest

from application.archive import NotFound
from application.bootstrap import Services
from domain.users import Role
from tests.integration import scenario
from tests.security.world import PUBLIC, TOP, build


def test_a_probe_for_a_hidden_record_and_one_for_an_id_that_never_existed_read_alike_in_the_log(services: Services) -> None:
    world = build(services)
    prober = scenario.staff(services, "prober", Role.ARCHIVIST, PUBLIC)
    for record_id in (world.declared, world.never):
        with pytest.raises(NotFound):
            services.catalogue.record(prober, record_id)
    services.catalogue.refresh()
    officer = scenario.staff(services, "officer", Role.COMPLIANCE, PUBLIC)
    rows = [r for r in services.catalogue.access_log(officer, user_id=prober.id)]
    assert len(rows) == 2
    shape = [{k: v for k, v in r.items() if k not in ("log_id", "version", "at")} for r in rows]
    assert shape[0] == shape[1] and shape[0]["record_id"] is None and shape[0]["names_a_record"]
    for record_id in (world.declared, world.never):  # asking for one id by name tells no more
        asked = services.catalogue.access_log(officer, record_id=str(record_id))
        assert [(r["record_id"], r["action"]) for r in asked] == [(None, "denied")]
    top = scenario.staff(services, "top.officer", Role.COMPLIANCE, TOP)
    assert str(world.declared) in {r["record_id"] for r in services.catalogue.access_log(top, user_id=prober.id)}
