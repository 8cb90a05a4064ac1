"""Notices by e-mail, where the operator configured an SMTP server (``KAKAWARI_SMTP_*``).

A member who gave an address (``svc_contacts``, off the log) gets her new notices
(:mod:`service.notices`) in one message per round, in her language. A round runs
whenever a write request has succeeded (:meth:`Mailer.kick`) and every
:data:`POLL_SECONDS` besides, for entries appended by other processes. How far each
member's notices were sent (``mailed_seq``) is advanced with a compare-and-set before
sending, so that several server processes never send the same notice twice; when the
SMTP server refuses, the mark is put back and the next round tries again.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, select, update

from .config import Settings
from .domain import tables as t
from .notices import notices

POLL_SECONDS = 30.0

_log = logging.getLogger("kakawari.mail")

_SUBJECT = {"ja": "【かかわり】{region}からのお知らせ（{n}件）",
            "en": "Kakawari: {n} new notice(s) from {region}"}
_GREETING = {"ja": "{name} さん\n\n{region}のかかわりに新しいお知らせがあります。\n",
             "en": "Hello {name},\n\nThere is news for you in {region} on Kakawari.\n"}
_FOOTER = {"ja": "\nこのメールは、かかわりでお知らせの受け取りを設定した方にお送りしています。"
                 "\n止めるときは、アプリの「お知らせ」でメールアドレスを消してください。\n",
           "en": "\nYou get this because you asked Kakawari to e-mail your notices."
                 "\nTo stop, remove your address under Notices in the app.\n"}
_LINK = {"ja": "\nアプリで見る：{link}\n", "en": "\nSee them in the app: {link}\n"}
_LINES: dict[str, dict[str, str]] = {
    "approved": {"ja": "・「{title}」が承認されました（{points} ポイント）",
                 "en": "- \"{title}\" was approved ({points} points)"},
    "rejected": {"ja": "・「{title}」は承認されませんでした。理由：{reason}（{byName} さん）",
                 "en": "- \"{title}\" was not approved. Reason: {reason} ({byName})"},
    "thanked": {"ja": "・{byName} さんから「{title}」にありがとう（{amount}）：{note}",
                "en": "- {byName} thanked you for \"{title}\" ({amount}): {note}"},
    "confirm": {"ja": "・{byName} さんが「{title}」を一緒にした活動として記録しました。"
                      "参加したか確認してください",
                "en": "- {byName} recorded \"{title}\" as done with you: please confirm"},
    "quest": {"ja": "・新しいクエスト「{title}」（ボーナス {points} ポイント）",
              "en": "- New quest: \"{title}\" (+{points} bonus points)"},
    "signup": {"ja": "・{byName} さんが「{title}」に申し込みました",
               "en": "- {byName} signed up for \"{title}\""},
}


def notices_link(origins: list[str], region: str) -> str | None:
    """Where a member reads her notices in the app: the notices page of ``region`` at
    the first public origin (``KAKAWARI_PUBLIC_ORIGINS``); None when none is configured
    (a development server knows no address its members could open)."""
    if not origins:
        return None
    return f"{origins[0].rstrip('/')}/#/notices?region={quote(region, safe='')}"


def compose(notes: list[dict[str, Any]], *, lang: str, name: str, region_name: str,
            sender: str, to: str, link: str | None = None) -> EmailMessage:
    """One e-mail with ``notes`` (oldest first) in ``lang`` (``ja`` or ``en``), and
    ``link`` back to the app when there is one."""
    lang = lang if lang in ("ja", "en") else "ja"
    msg = EmailMessage()
    msg["Subject"] = _SUBJECT[lang].format(region=region_name, n=len(notes))
    msg["From"] = sender
    msg["To"] = to
    lines = [_GREETING[lang].format(name=name, region=region_name)]
    for n in notes:
        fields = {"title": "", "points": "", "reason": "", "byName": "", "amount": "",
                  "note": "", **{k: v for k, v in n.items() if v is not None}}
        lines.append(_LINES[n["kind"]][lang].format(**fields))
    if link:
        lines.append(_LINK[lang].format(link=link))
    lines.append(_FOOTER[lang])
    msg.set_content("\n".join(lines))
    return msg


class Mailer:
    """Sends members' new notices through the configured SMTP server."""

    def __init__(self, settings: Settings, engine: Engine,
                 region_name: Callable[[str], str]) -> None:
        self.settings, self.engine, self.region_name = settings, engine, region_name
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: tuple[Any, ...] | None = None  # the logs' sizes at the last round

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kakawari-mail", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def kick(self) -> None:
        """Run a round soon (something was written)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.run_once()
            except Exception:  # keep mailing in later rounds whatever one round met
                _log.exception("kakawari: sending notices failed")

    def run_once(self) -> int:
        """One round: every member's notices since her last e-mail; returns how many
        e-mails were sent. Skipped when no log has grown since the last round that
        sent everything it had to."""
        ct, m, hd = t.contacts.c, t.members.c, t.heads.c
        with self.engine.connect() as conn:
            sizes: tuple[Any, ...] | None = tuple(tuple(r) for r in conn.execute(
                select(hd.region, hd.size).order_by(hd.region)))
            if sizes == self._seen:
                return 0  # nothing was appended anywhere since the last round
            rows = conn.execute(
                select(ct.region, ct.member, ct.email, ct.lang, ct.mailed_seq, m.display_name)
                .join(t.members, (m.region == ct.region) & (m.address == ct.member))).all()
        sent = 0
        for row in rows:
            with self.engine.connect() as conn:
                notes = notices(conn, row.region, row.member, after=int(row.mailed_seq),
                                limit=200)
            if not notes:
                continue
            notes.reverse()
            newest = notes[-1]["seq"]
            if not self._advance(row.region, row.member, int(row.mailed_seq), newest):
                continue  # another process is sending these
            msg = compose(notes, lang=row.lang, name=row.display_name,
                          region_name=self.region_name(row.region),
                          sender=self.settings.smtp_from, to=row.email,
                          link=notices_link(self.settings.public_origins, row.region))
            try:
                self._send(msg)
                sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                _log.warning("kakawari: could not e-mail notices of %s: %s", row.member, exc)
                self._advance(row.region, row.member, newest, int(row.mailed_seq))
                sizes = None  # try again next round
        self._seen = sizes
        return sent

    def _advance(self, region: str, member: str, old: int, new: int) -> bool:
        ct = t.contacts.c
        with self.engine.begin() as conn:
            done = conn.execute(update(t.contacts).where(
                ct.region == region, ct.member == member, ct.mailed_seq == old)
                .values(mailed_seq=new))
        return done.rowcount == 1

    def _send(self, msg: EmailMessage) -> None:
        s = self.settings
        assert s.smtp_host is not None
        if s.smtp_security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=30,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30)
        with smtp:
            if s.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                smtp.login(s.smtp_user, password)
            smtp.send_message(msg)
