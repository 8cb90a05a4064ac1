"""The KPI API over SQLite: a fiscal year (年度, April–March), a range of months, the
whole period's figures (each person once), and the KPI table as CSV for Excel."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.integration.test_api import Api, api, grant, setup_people  # noqa: F401

JST = timezone(timedelta(hours=9))


def at(month: str, day: int = 15) -> int:
    """Noon (Japan time) of ``day`` in ``month`` (``YYYY-MM``)."""
    year, mon = (int(p) for p in month.split("-"))
    return int(datetime(year, mon, day, 12, tzinfo=JST).timestamp())


def months_ago(n: int) -> str:
    now = datetime.fromtimestamp(time.time(), JST)
    index = now.year * 12 + now.month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def fiscal_of(month: str) -> int:
    year, mon = (int(p) for p in month.split("-"))
    return year if mon >= 4 else year - 1


def shift(month: str, n: int) -> str:
    year, mon = (int(p) for p in month.split("-"))
    index = year * 12 + mon - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@pytest.fixture
def activity(api: Api) -> dict[str, str]:  # noqa: F811
    """Three people and a verifier; approved work in the March before a fiscal year
    (A), in its April and May (A), in May (B, with C confirming), and in its
    November (C) — whichever fiscal year has all those months in the last 400 days."""
    a, b, c, v = setup_people(api, 4)
    grant(api, v)
    api.post("/profile", a, "Profile", displayName="Person 0", resident=True)
    api.post("/profile", b, "Profile", displayName="Person 1", resident=False)
    # The latest fiscal year whose November is already past, and its March before.
    year = fiscal_of(months_ago(1)) if months_ago(1)[5:] in ("11", "12", "01", "02", "03") \
        else fiscal_of(months_ago(1)) - 1
    march, april, may, june, nov = (f"{year}-03", f"{year}-04", f"{year}-05", f"{year}-06",
                                    f"{year}-11")
    ids = [api.claim(a, occurredAt=at(march)), api.claim(a, occurredAt=at(april)),
           api.claim(a, occurredAt=at(may)), api.claim(b, [c], occurredAt=at(may)),
           api.claim(c, minutes=90, occurredAt=at(nov))]
    api.post(f"/claims/{ids[3]}/confirmations", c, "Confirmation", claim=ids[3])
    for claim_id in ids:
        api.post(f"/claims/{claim_id}/reviews", v, "Review", claim=claim_id, approve=True,
                 reason="ok")
    return {"year": str(year), "march": march, "april": april, "may": may, "june": june,
            "nov": nov}


def test_a_fiscal_year_counts_april_to_march_and_each_person_once(
        api: Api, activity: dict[str, str]) -> None:  # noqa: F811
    year = int(activity["year"])
    data = api.get("/kpis", fiscalYear=year)
    assert (data["from"], data["to"], data["fiscalYear"]) == (f"{year}-04", f"{year + 1}-03",
                                                              year)
    assert [m["month"] for m in data["months"]][:2] == [f"{year}-04", f"{year}-05"]
    assert len(data["months"]) == 12
    period = data["period"]
    # A (April, May), B and C (May), C (November): three people; A and C in two months.
    assert period["activeContributors"] == 3
    assert period["continuing"] == 2
    assert (period["new"], period["returning"]) == (2, 1)  # A began in March, before it
    assert (period["residents"], period["fromElsewhere"], period["residenceUnknown"]) == (1, 1, 1)
    assert period["claims"] == 4
    assert period["minutesByCategory"] == {"cleanup": 60 * 3 + 90}
    by_month = {m["month"]: m for m in data["months"]}
    may, june = by_month[activity["may"]], by_month[activity["june"]]
    assert may["activeContributors"] == 3
    # In June nobody worked, yet A was active in two of April–June: continuing
    # exceeds this month's active people.
    assert (june["activeContributors"], june["continuing"]) == (0, 1)


def test_a_range_of_months_and_its_limits(api: Api, activity: dict[str, str]) -> None:  # noqa: F811
    data = api.get("/kpis", **{"from": activity["march"], "to": activity["may"]})
    assert [m["month"] for m in data["months"]] == [activity["march"], activity["april"],
                                                    activity["may"]]
    assert data["fiscalYear"] is None
    assert data["period"]["activeContributors"] == 3 and data["period"]["new"] == 3
    assert data["period"]["continuing"] == 1  # A in March, April and May
    # 'to' before 'from', and more than 60 months, are refused with the rule's words
    r = api.client.get(api.url("/kpis"), params={"from": activity["may"], "to": activity["march"]})
    assert r.status_code == 400 and r.json()["code"] == "out-of-range", r.text
    r = api.client.get(api.url("/kpis"), params={"from": "2020-01", "to": "2025-01"})
    assert r.status_code == 400 and "60 months" in r.json()["detail"], r.text
    # the older form still works: the months ending with 'until'
    old = api.get("/kpis", months=2, until=activity["may"])
    assert [m["month"] for m in old["months"]] == [activity["april"], activity["may"]]


def test_the_kpi_table_as_csv_opens_in_excel(api: Api, activity: dict[str, str]) -> None:  # noqa: F811
    year = int(activity["year"])
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
    assert len(rows) == 1 + 12 + 1
    assert rows[1][0] == f"{year}年4月"
    may = next(row for row in rows if row[0] == f"{year}年5月")
    assert may[1:4] == ["3", "1", "2"]  # active; continuing: A only (B and C began now); new
    assert may[8:] == ["2", "2.0", "2.0"]  # two claims, two hours
    assert rows[-1] == [f"{year}年度 計", "3", "2", "2", "1", "1", "1", "1", "4", "4.5", "4.5"]
    # the same table for English readers, for a range of months
    r = api.client.get(api.url("/kpis.csv"),
                       params={"from": activity["march"], "to": activity["april"], "lang": "en"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["Month", "Active contributors", "Continuing"]
    assert rows[0][-1] == "Clean-up (hours)"
    assert [row[0] for row in rows[1:]] == [activity["march"], activity["april"],
                                            f"Period {activity['march']}–{activity['april']}"]
    assert rows[-1][1] == "1"


def test_the_csv_route_is_typed_in_openapi(api: Api) -> None:  # noqa: F811
    doc = api.client.get("/openapi.json").json()
    route = doc["paths"]["/v1/regions/{region}/kpis.csv"]["get"]
    assert route["responses"]["200"]["content"] == {"text/csv": {"schema": {"type": "string"}}}
    names = {p["name"] for p in route["parameters"]}
    assert {"fiscalYear", "from", "to", "lang", "months", "until"} <= names
    kpis = doc["paths"]["/v1/regions/{region}/kpis"]["get"]
    assert {"fiscalYear", "from", "to"} <= {p["name"] for p in kpis["parameters"]}
