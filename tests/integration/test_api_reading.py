"""The reading (furigana) of a member's name over the HTTP API: a signed ``Reading``
entry of her own, optional (members without one read ``null``), in kana only, removed
by an empty one; a rebuild from the log gives the same."""

from __future__ import annotations

from sqlalchemy import select

from service.domain import tables as t
from tests.integration.test_api import Api, api, setup_people  # noqa: F401


def test_a_member_sets_changes_and_removes_the_reading_of_her_name(api: Api) -> None:  # noqa: F811
    alice, bob = setup_people(api, 2)
    assert api.get(f"/members/{alice.address}")["reading"] is None  # never set: null
    api.post("/reading", alice, "Reading", reading="やまだ はなこ")
    assert api.get(f"/members/{alice.address}")["reading"] == "やまだ はなこ"
    listed = {m["address"]: m for m in api.get("/members")["items"]}
    assert listed[alice.address]["reading"] == "やまだ はなこ"
    assert listed[bob.address]["reading"] is None
    # katakana, half-width katakana, the long-vowel mark and a full-width space are kana
    api.post("/reading", alice, "Reading", reading="ヤマダ　ハナコ")
    api.post("/reading", bob, "Reading", reading="ﾎﾞﾌﾞ・スーパー")
    assert api.get(f"/members/{bob.address}")["reading"] == "ﾎﾞﾌﾞ・スーパー"
    api.post("/reading", alice, "Reading", reading=" ")  # nothing: removed
    assert api.get(f"/members/{alice.address}")["reading"] is None


def test_a_reading_is_kana_of_a_member_and_nobody_else_sets_it(api: Api) -> None:  # noqa: F811
    (alice,) = setup_people(api, 1)
    body = api.refused("/reading", alice, "Reading", 400, "bad-reading", reading="Yamada")
    assert "Yamada" in body["detail"]
    r = api.client.post(api.url("/reading"), json=alice.body("Reading", reading="山田"),
                        headers={"Accept-Language": "ja"})
    assert r.status_code == 400
    assert r.json()["title"] == "ふりがなは、ひらがなかカタカナで書いてください"
    api.refused("/reading", alice, "Reading", 400, "too-long", reading="あ" * 65)
    stranger = api.w.person()
    api.refused("/reading", stranger, "Reading", 403, "not-member", reading="だれか")
    # the admin signs only her own reading: the message names its signer
    forged = api.w.admin.body("Reading", reading="やまだ")
    forged["message"]["member"] = alice.address
    r = api.client.post(api.url("/reading"), json=forged)
    assert r.status_code == 400 and r.json()["code"] == "bad-signature", r.text
    assert api.get(f"/members/{alice.address}")["reading"] is None


def test_the_reading_is_rebuilt_from_the_log(api: Api) -> None:  # noqa: F811
    (alice,) = setup_people(api, 1)
    api.post("/reading", alice, "Reading", reading="やまだ はなこ")
    m = t.members.c
    engine = api.w.regions.store.engine
    with engine.connect() as conn:
        before = conn.execute(select(m.address, m.reading).where(m.region == "ama")).all()
    api.w.domain.rebuild("ama")
    with engine.connect() as conn:
        after = conn.execute(select(m.address, m.reading).where(m.region == "ama")).all()
    assert sorted(after) == sorted(before) and (alice.address, "やまだ はなこ") in after
