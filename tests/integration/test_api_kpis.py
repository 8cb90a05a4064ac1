"""The KPI API over SQLite: a fiscal year (年度, April–March), a range of months, the
whole period's figures (each person once), and the KPI table as CSV for Excel."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.integration.service_fixtures import ZERO32, Person
from tests.integration.test_api import Api, api  # noqa: F401

JST = timezone(timedelta(hours=9))
#: The service's clock in these tests: 15 February 2027, noon in Japan — fiscal year
#: 2026 (April 2026 – March 2027) is under way, its March still to come.
NOW = int(datetime(2027, 2, 15, 12, tzinfo=JST).timestamp())


def at(month: str, day: int = 15) -> int:
    """Noon (Japan time) of ``day`` in ``month`` (``YYYY-MM``)."""
    year, mon = (int(p) for p in month.split("-"))
    return int(datetime(year, mon, day, 12, tzinfo=JST).timestamp())


def post(api: Api, who: Person, path: str, type_: str, **fields: Any) -> Any:  # noqa: F811
    signed = who.sign(type_, clock=NOW, **fields)
    r = api.client.post(api.url(path), json={"message": signed.message,
                                             "signature": signed.signature})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def activity(api: Api) -> None:  # noqa: F811
    """Three people and a verifier, on the service's clock at :data:`NOW`: approved work
    in March 2026 (A, before fiscal year 2026), in April and May (A), in May (B, with C
    confirming) and in November 2026 (C)."""
    api.w.regions.clock = lambda: NOW
    a, b, c, v = (api.w.person() for _ in range(4))
    for i, who in enumerate((a, b, c, v)):
        post(api, who, "/members", "Join", displayName=f"Person {i}")
    post(api, api.w.admin, "/roles", "Role", member=v.address, role="verifier", granted=True)
    post(api, a, "/profile", "Profile", displayName="Person 0", resident=True)
    post(api, b, "/profile", "Profile", displayName="Person 1", resident=False)

    def claim(who: Person, month: str, others: tuple[Person, ...] = (), minutes: int = 60
              ) -> str:
        return str(post(api, who, "/claims", "Claim", category="cleanup", title="Beach",
                        minutes=minutes, occurredAt=at(month), quest=ZERO32,
                        coContributors=[o.address for o in others],
                        detailsHash=ZERO32)["id"])

    ids = [claim(a, "2026-03"), claim(a, "2026-04"), claim(a, "2026-05"),
           claim(b, "2026-05", (c,)), claim(c, "2026-11", minutes=90)]
    post(api, c, f"/claims/{ids[3]}/confirmations", "Confirmation", claim=ids[3])
    for claim_id in ids:
        post(api, v, f"/claims/{claim_id}/reviews", "Review", claim=claim_id, approve=True,
             reason="ok")


def test_a_fiscal_year_counts_april_to_march_and_each_person_once(
        api: Api, activity: None) -> None:  # noqa: F811
    data = api.get("/kpis", fiscalYear=2026)
    assert (data["from"], data["to"], data["fiscalYear"]) == ("2026-04", "2027-03", 2026)
    # April to February: March 2027 has not come yet, so it has no row
    assert [m["month"] for m in data["months"]] == [
        *(f"2026-{m:02d}" for m in range(4, 13)), "2027-01", "2027-02"]
    period = data["period"]
    # A (April, May), B and C (May), C (November): three people; A and C in two months.
    assert period["activeContributors"] == 3
    assert period["continuing"] == 2
    assert (period["new"], period["returning"]) == (2, 1)  # A began in March, before it
    assert (period["residents"], period["fromElsewhere"], period["residenceUnknown"]) == (1, 1, 1)
    assert period["claims"] == 4
    assert period["minutesByCategory"] == {"cleanup": 60 * 3 + 90}
    by_month = {m["month"]: m for m in data["months"]}
    may, june = by_month["2026-05"], by_month["2026-06"]
    assert may["activeContributors"] == 3
    # In June nobody worked, yet A was active in two of April–June: continuing
    # exceeds this month's active people.
    assert (june["activeContributors"], june["continuing"]) == (0, 1)


def test_a_range_of_months_and_its_limits(api: Api, activity: None) -> None:  # noqa: F811
    data = api.get("/kpis", **{"from": "2026-03", "to": "2026-05"})
    assert [m["month"] for m in data["months"]] == ["2026-03", "2026-04", "2026-05"]
    assert data["fiscalYear"] is None
    assert data["period"]["activeContributors"] == 3 and data["period"]["new"] == 3
    assert data["period"]["continuing"] == 1  # A in March, April and May
    # 'to' before 'from', and more than 60 months, are refused with the rule's words
    r = api.client.get(api.url("/kpis"), params={"from": "2026-05", "to": "2026-03"})
    assert r.status_code == 400 and r.json()["code"] == "out-of-range", r.text
    r = api.client.get(api.url("/kpis"), params={"from": "2020-01", "to": "2025-01"})
    assert r.status_code == 400 and "60 months" in r.json()["detail"], r.text
    # the older form still works: the months ending with 'until'
    old = api.get("/kpis", months=2, until="2026-05")
    assert [m["month"] for m in old["months"]] == ["2026-04", "2026-05"]
    # by default, the 12 months ending with this one (the service's clock)
    assert [m["month"] for m in api.get("/kpis")["months"]][-1] == "2027-02"


def test_the_kpi_table_as_csv_opens_in_excel(api: Api, activity: None) -> None:  # noqa: F811
    year = 2026
    r = api.client.get(api.url("/kpis.csv"), params={"fiscalYear": year})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == (
        f'attachment; filename="kakawari-ama-kpis-{year}-04_{year + 1}-03.csv"')
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert b"\r\n" in r.content
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["月", "活動した人", "継続して関わる人", "新規", "再訪", "住民", "地域外",
                       "居住地不明", "承認された活動", "活動時間（時間）", "清掃・美化（時間）"]
    assert len(rows) == 1 + 11 + 1  # April to February, then the fiscal year
    assert rows[1][0] == f"{year}年4月"
    may = next(row for row in rows if row[0] == f"{year}年5月")
    assert may[1:4] == ["3", "1", "2"]  # active; continuing: A only (B and C began now); new
    assert may[8:] == ["2", "2.0", "2.0"]  # two claims, two hours
    assert rows[-1] == [f"{year}年度 計", "3", "2", "2", "1", "1", "1", "1", "4", "4.5", "4.5"]
    # the same table for English readers, for a range of months
    r = api.client.get(api.url("/kpis.csv"),
                       params={"from": "2026-03", "to": "2026-04", "lang": "en"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["Month", "Active contributors", "Continuing"]
    assert rows[0][-1] == "Clean-up (hours)"
    assert [row[0] for row in rows[1:]] == ["2026-03", "2026-04", "Period 2026-03–2026-04"]
    assert rows[-1][1] == "1"


def test_the_csv_route_is_typed_in_openapi(api: Api) -> None:  # noqa: F811
    doc = api.client.get("/openapi.json").json()
    route = doc["paths"]["/v1/regions/{region}/kpis.csv"]["get"]
    assert route["responses"]["200"]["content"] == {"text/csv": {"schema": {"type": "string"}}}
    names = {p["name"] for p in route["parameters"]}
    assert {"fiscalYear", "from", "to", "lang", "months", "until"} <= names
    kpis = doc["paths"]["/v1/regions/{region}/kpis"]["get"]
    assert {"fiscalYear", "from", "to"} <= {p["name"] for p in kpis["parameters"]}
