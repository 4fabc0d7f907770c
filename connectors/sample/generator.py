"""A deterministic synthetic help desk of any size, generated lazily.

Every record is a pure function of (seed, size, revision, index): nothing is stored, so a dataset of a
million tickets costs no memory and two processes (the sample connector, a vendor stand-in) agree on
every byte. The data is deliberately awkward: unicode and missing names, invalid emails, long threads,
HTML with scripts, inline images, attachments over Front's 25 MB limit, deleted agents, empty bodies,
tickets deleted in the source.

Ids are numeric strings so vendor stand-ins can serve them as they are: agents are users 1..A,
contacts 1_000_001.., tickets 1..N, message ids ticket*1000+n, attachment ids message*10+k.

"Changes since": `revision=R` replays R deterministic rounds of activity on top of the base data. Round r
happens at `revision_time(r)` (after every base record): it appends a reply (and sometimes a note) to ~8%
of tickets, changes their status and tags, deletes ~2%, and creates new tickets numbered after the
previous ones. Changed tickets get `updated_at` inside their round, so a delta run with `since=` the start
of the previous run sees exactly what changed.
"""

from __future__ import annotations

import hashlib
import html
import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from connectors.base import Agent, Attachment, BodyFormat, Contact, Message, MessageKind, Ticket

BASE_TIME = datetime(2019, 1, 1, tzinfo=UTC)
TICKET_SPACING = timedelta(minutes=30)  # base updated_at of ticket i is BASE_TIME + i * spacing
FRONT_ATTACHMENT_LIMIT = 25 * 1024 * 1024
MAX_REVISION = 50
CONTACT_ID_OFFSET = 1_000_000
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
STATUS_WEIGHTS = (3, 12, 8, 3, 30, 44)  # a real history is mostly closed/solved
BRANDS = (("1", "Acme Support"), ("2", "Acme Billing"))
GROUPS = (("11", "Tier 1"), ("12", "Tier 2"), ("13", "Refunds"))
TAGS = (
    "billing", "refund", "shipping", "bug", "feature_request", "vip", "password_reset", "urgent",
    "café-crème", "日本語タグ", "returns", "integration",
    "a_very_long_tag_name_that_goes_well_beyond_the_sixty_four_characters_front_accepts",
)
FIRST_NAMES = ("Alice", "Bob", "Chloé", "Dmitri", "Émile", "Fatima", "Grace", "Hiroshi", "Ingrid", "José",
               "Kwame", "Léa", "Mohammed", "Nadia", "Oskar", "Priya", "Quentin", "Rūta", "Søren", "Tomás")
LAST_NAMES = ("Smith", "Müller", "García", "Nguyễn", "O'Brien", "Kowalski", "Øster", "Yılmaz", "Dubois",
              "Svensson", "Ivanova", "Rossi", "Papadopoulos", "Zhang", "Okafor", "Haddad")
UNICODE_NAMES = ("李小龙", "Zoë Åberg-Ñúñez", "Владимир Петров", "محمد الأحمد", "Łukasz Żółć 🚀", "द्रौपदी")
INVALID_EMAILS = ("not-an-email", "bob at example dot com", "jane@@example.org", "@nouser.example.org",
                  "trailing.dot.@example.org")
SUBJECTS = ("Where is my order #{n}?", "Refund request for invoice {n}", "Can't log in", "Bug: export fails",
            "Question about pricing", "Change of address", "Ünïcödé subject — ça marche? {n}", "",
            "Damaged item received", "Feature idea: dark mode", "RE: RE: Fwd: Your ticket {n}")
CUSTOM_FIELDS = ("Order number", "Product", "Refund approved", "Customer tier")
PRODUCTS = ("Widget", "Gadget Pro", "Gizmo", None)
TIERS = ("free", "standard", "premium")


def _rng(*parts: object) -> random.Random:
    """A generator private to one record: seeding with a string is stable across processes."""
    return random.Random(":".join(str(p) for p in parts))


def _unit(*parts: object) -> int:
    """A stable number 0..9999 for cheap yes/no decisions (no Random object)."""
    digest = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 10_000


def _ts(dt: datetime) -> int:
    return int(dt.timestamp())


@dataclass(frozen=True)
class SampleDataset:
    """The help desk as of `revision`. Cheap to build; records are computed on demand."""

    tickets: int = 100
    seed: int = 1
    revision: int = 0
    # Declared size of "big" attachments; download streams exactly this many bytes.
    big_attachment_size: int = 26 * 1024 * 1024
    _agents: list[Agent] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.tickets < 0 or not 0 <= self.revision <= MAX_REVISION:
            raise ValueError(f"tickets must be >= 0 and revision within 0..{MAX_REVISION}")

    # ---- sizes ---------------------------------------------------------------------------------
    @property
    def agent_count(self) -> int:
        return max(4, min(30, 4 + self.tickets // 200))

    @property
    def contact_count(self) -> int:
        return max(6, self.tickets // 3)

    @property
    def new_per_revision(self) -> int:
        return max(1, self.tickets // 50)

    def total_ticket_ids(self, revision: int | None = None) -> int:
        """Highest ticket id existing at `revision` (ids are dense from 1)."""
        rev = self.revision if revision is None else revision
        return self.tickets + rev * self.new_per_revision

    def revision_time(self, r: int) -> datetime:
        """When round r of changes happened: well after every base record and every earlier round."""
        # A round spans `i` seconds (ticket i changes at revision_time + i s), so rounds must be further
        # apart than the highest id of any round (at most MAX_REVISION rounds of new tickets).
        gap = max(timedelta(days=30), timedelta(seconds=self.total_ticket_ids(MAX_REVISION) + 3600))
        last_base = BASE_TIME + TICKET_SPACING * (self.tickets + 1)
        return last_base + timedelta(days=7) + gap * (r - 1)

    # ---- agents and contacts -----------------------------------------------------------------------
    def agents(self) -> list[Agent]:
        """Agents agent1@example.com.. The last is deleted, the one before inactive, one has no name."""
        if not self._agents:
            n = self.agent_count
            for k in range(1, n + 1):
                rng = _rng(self.seed, "agent", k)
                name: str | None = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                if k == 2:
                    name = UNICODE_NAMES[1]
                if k == 3:
                    name = None
                self._agents.append(Agent(source_id=str(k), email=f"agent{k}@example.com", name=name,
                                          active=k < n - 1, deleted=k == n))
        return list(self._agents)

    def contact(self, j: int) -> Contact:
        """Contact number j (1-based) of the customer pool."""
        rng = _rng(self.seed, "contact", j)
        name: str | None = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if j % 7 == 0:
            name = UNICODE_NAMES[j % len(UNICODE_NAMES)]
        if j % 11 == 0:
            name = None
        emails = [f"customer{j}@example.org"]
        if j % 13 == 0:
            emails = [INVALID_EMAILS[j % len(INVALID_EMAILS)]]
        elif j % 17 == 0:
            emails.append(f"customer{j}.alt@example.net")
        phones = [f"+1555{j:07d}"] if j % 5 == 0 else []
        return Contact(source_id=str(CONTACT_ID_OFFSET + j), name=name, emails=emails, phones=phones)

    def contacts(self) -> Iterator[Contact]:
        for j in range(1, self.contact_count + 1):
            yield self.contact(j)

    def contact_by_id(self, source_id: str) -> Contact | None:
        j = int(source_id) - CONTACT_ID_OFFSET
        return self.contact(j) if 1 <= j <= self.contact_count else None

    # ---- cheap per-ticket facts (no thread built) ---------------------------------------------------
    def exists(self, i: int) -> bool:
        return 1 <= i <= self.total_ticket_ids()

    def born_in(self, i: int) -> int:
        """The revision in which ticket i was created (0 = base data)."""
        return 0 if i <= self.tickets else (i - self.tickets - 1) // self.new_per_revision + 1

    def changed_in(self, i: int, r: int) -> bool:
        return r > self.born_in(i) and _unit(self.seed, "change", i, r) < 800

    def deleted_in(self, i: int, r: int) -> bool:
        return r > self.born_in(i) and 800 <= _unit(self.seed, "change", i, r) < 1000

    def deleted_revision(self, i: int) -> int | None:
        """The revision that deleted ticket i (0 = deleted in the base data), or None."""
        if self.born_in(i) == 0 and i % 97 == 0:
            return 0
        for r in range(self.born_in(i) + 1, self.revision + 1):
            if self.deleted_in(i, r):
                return r
        return None

    def last_touched(self, i: int) -> int:
        """The last revision that changed, deleted or created ticket i."""
        last = self.born_in(i)
        deleted = self.deleted_revision(i)
        for r in range(last + 1, self.revision + 1):
            if deleted is not None and r > deleted:
                break
            if self.changed_in(i, r) or self.deleted_in(i, r):
                last = r
        return last

    def updated_at(self, i: int) -> datetime:
        r = self.last_touched(i)
        if r == 0:
            return BASE_TIME + TICKET_SPACING * i
        return self.revision_time(r) + timedelta(seconds=i)

    def ordered_ids(self, *, since: datetime | None = None, after: tuple[int, int] | None = None
                    ) -> Iterator[tuple[int, int]]:
        """(segment, id) of every ticket in updated_at order, lazily.

        Segment 0 holds tickets untouched since the base data (ordered by id, which is update order);
        segment r holds those last touched in round r (ordered by id). `after` resumes past a position.
        """
        total = self.total_ticket_ids()
        for seg in range(0, self.revision + 1):
            if after and seg < after[0]:
                continue
            start = after[1] + 1 if after and seg == after[0] else 1
            if seg == 0:
                if since is not None:
                    first = -(-(_ts(since) - _ts(BASE_TIME)) // int(TICKET_SPACING.total_seconds()))
                    start = max(start, first)
                stop = min(self.tickets, total)
            else:
                if since is not None and self.revision_time(seg) + timedelta(seconds=total) < since:
                    continue
                stop = total
            for i in range(start, stop + 1):
                if self.last_touched(i) != seg:
                    continue
                if since is not None and self.updated_at(i) < since:
                    continue
                yield seg, i

    # ---- full records -----------------------------------------------------------------------------
    def ticket(self, i: int) -> Ticket:
        """Ticket i with its whole thread as of this revision."""
        if not self.exists(i):
            raise KeyError(i)
        agents = self.agents()
        rng = _rng(self.seed, "ticket", i)
        born = self.born_in(i)
        updated = self.updated_at(i)
        if born == 0:
            base_end = BASE_TIME + TICKET_SPACING * i
            duration = timedelta(minutes=rng.randint(5, 60 * 24 * 6))
        else:
            base_end = self.revision_time(born) + timedelta(seconds=i)
            duration = timedelta(minutes=rng.randint(1, 120))
        created = base_end - duration
        requester = self.contact(rng.randint(1, self.contact_count))
        if i % 41 == 0:  # a requester with no email handle at all (phone-only or nothing)
            requester = replace(requester, emails=[])
        ccs = [self.contact(rng.randint(1, self.contact_count)) for _ in range(rng.choice((0, 0, 0, 1, 2)))]
        assignee: str | None = rng.choice(agents).source_id if rng.random() < 0.85 else None
        status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
        tags = sorted(set(rng.sample(TAGS, rng.choice((0, 1, 1, 2, 3)))))
        custom = {
            "Order number": f"ORD-{rng.randint(10000, 99999)}" if rng.random() < 0.6 else None,
            "Product": rng.choice(PRODUCTS),
            "Refund approved": rng.random() < 0.2,
            "Customer tier": rng.choice(TIERS),
        }
        n_messages = 60 if i % 101 == 50 else rng.choices((1, 2, 3, 4, 5, 8, 12), (10, 25, 25, 15, 10, 10, 5))[0]
        messages = [self._message(i, m, rng, created, duration, n_messages, requester, ccs, agents, assignee)
                    for m in range(1, n_messages + 1)]
        subject = rng.choice(SUBJECTS).format(n=i)
        deleted_rev = self.deleted_revision(i)
        for r in range(born + 1, self.revision + 1):
            if deleted_rev is not None and r >= deleted_rev:
                break
            if self.changed_in(i, r):
                messages.extend(self._revision_messages(i, r, requester, agents, assignee, len(messages)))
                rr = _rng(self.seed, "revise", i, r)
                status = rr.choice(("open", "pending", "solved", "closed"))
                tags = sorted(set(tags) | {f"revised_{r}"})
                if rr.random() < 0.3:
                    assignee = rr.choice(agents).source_id
        return Ticket(
            source_id=str(i), subject=subject, status="deleted" if deleted_rev is not None else status,
            created_at=created, updated_at=updated, requester=requester, assignee_agent_id=assignee,
            cc_contacts=ccs, tags=tags, custom_fields=custom,
            messages=[] if deleted_rev is not None else messages,
            deleted=deleted_rev is not None, mailbox_id=BRANDS[i % 2][0],
            url=f"https://sample.invalid/tickets/{i}",
        )

    def group_id(self, i: int) -> str:
        return GROUPS[i % len(GROUPS)][0]

    def _message(self, i: int, m: int, rng: random.Random, created: datetime, duration: timedelta,
                 n: int, requester: Contact, ccs: list[Contact], agents: list[Agent],
                 assignee: str | None) -> Message:
        # Whole seconds, as help desk APIs report them.
        at = created + timedelta(seconds=int(duration.total_seconds() * (m - 1) / max(1, n - 1)))
        mid = i * 1000 + m
        kind: MessageKind
        if m == 1 or (m % 2 == 1 and rng.random() < 0.8):
            kind, inbound, agent = "reply", True, None
        else:
            agent = next((a for a in agents if a.source_id == assignee), None) or rng.choice(agents)
            roll = rng.random()
            kind = "private_note" if roll < 0.2 else "public_note" if roll < 0.23 else "reply"
            inbound = False
        body, fmt = self._body(i, m, rng, requester if inbound else None, agent)
        attachments = self._attachments(i, m, mid, rng)
        inline = [a for a in attachments if a.inline]
        if inline and fmt == "html":
            body += "".join(f'<p><img src="{a.url}" alt="{a.filename}"></p>' for a in inline)
        return Message(
            source_id=str(mid), kind=kind, created_at=at, body=body, body_format=fmt,
            author_agent_id=agent.source_id if agent else None,
            author_contact_id=None if agent else requester.source_id,
            author_name=agent.name if agent else requester.name,
            author_email=agent.email if agent else (requester.emails[0] if requester.emails else None),
            inbound=inbound,
            cc=[c.emails[0] for c in ccs if c.emails] if kind != "private_note" else [],
            subject=None, attachments=attachments,
        )

    def _body(self, i: int, m: int, rng: random.Random, contact: Contact | None, agent: Agent | None
              ) -> tuple[str, BodyFormat]:
        if (i + m) % 89 == 0:
            return "", "html"  # an empty body: the record is still a message
        who = (contact.name if contact else None) or "there"
        if i % 53 == 0 and m == 1:
            return (f"<p>Hello {html.escape(who)},</p><script>alert('xss {i}')</script>"
                    "<p onclick=\"steal()\">Click <a href=\"javascript:evil()\">here</a></p>"), "html"
        if (i + m) % 7 == 0:
            return f"Plain text message {m} on ticket {i}.\nSecond line with ünïcödé — and emoji 🎉.", "text"
        sentences = rng.randint(1, 6)
        text = " ".join(f"Sentence {k} about ticket {i} & <things>." for k in range(sentences))
        sign = (agent.name or agent.email) if agent else who
        return f"<p>Hi {html.escape(who)},</p><p>{html.escape(text)}</p><p>— {html.escape(sign or '')}</p>", "html"

    def _attachments(self, i: int, m: int, mid: int, rng: random.Random) -> list[Attachment]:
        out: list[Attachment] = []
        if rng.random() < 0.12:
            k = len(out) + 1
            out.append(self._attachment(mid * 10 + k, "report.pdf", "application/pdf", rng.randint(2_000, 400_000)))
        if rng.random() < 0.06:
            k = len(out) + 1
            out.append(self._attachment(mid * 10 + k, f"screenshot-{i}-{m}.png", "image/png",
                                        rng.randint(1_000, 90_000), inline=True))
        if i % 67 == 0 and m == 1:
            k = len(out) + 1
            out.append(self._attachment(mid * 10 + k, "huge-video.mp4", "video/mp4", self.big_attachment_size))
        if i % 71 == 0 and m == 1:
            k = len(out) + 1
            out.append(self._attachment(mid * 10 + k, "naïve résumé (final) v2.docx",
                                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                        rng.randint(5_000, 50_000)))
        return out

    def _attachment(self, aid: int, filename: str, content_type: str, size: int, inline: bool = False
                    ) -> Attachment:
        return Attachment(source_id=str(aid), filename=filename, content_type=content_type, size=size,
                          url=f"https://sample.invalid/attachments/{aid}/{filename}", inline=inline,
                          content_id=f"img{aid}" if inline else None,
                          kind="inline_image" if inline else "file")

    def _revision_messages(self, i: int, r: int, requester: Contact, agents: list[Agent],
                           assignee: str | None, count: int) -> list[Message]:
        rr = _rng(self.seed, "revmsg", i, r)
        at = self.revision_time(r) + timedelta(seconds=i)
        reply = Message(
            source_id=str(i * 1000 + 900 + r * 2), kind="reply", created_at=at - timedelta(seconds=1),
            body=f"<p>Follow-up {r} from the customer on ticket {i}.</p>", inbound=True,
            author_contact_id=requester.source_id, author_name=requester.name,
            author_email=requester.emails[0] if requester.emails else None,
        )
        out = [reply]
        if rr.random() < 0.5:
            agent = next((a for a in agents if a.source_id == assignee), None) or agents[0]
            out.append(Message(
                source_id=str(i * 1000 + 901 + r * 2), kind="private_note", created_at=at,
                body=f"<p>Internal note after follow-up {r}.</p>", author_agent_id=agent.source_id,
                author_name=agent.name, author_email=agent.email,
            ))
        return out

    # ---- attachment bytes -----------------------------------------------------------------------
    def attachment_bytes(self, attachment_id: str, size: int, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
        """Exactly `size` deterministic bytes, produced chunk by chunk."""
        block = _rng(self.seed, "blob", attachment_id).randbytes(64 * 1024)
        sent = 0
        counter = 0
        while sent < size:
            n = min(chunk_size, size - sent)
            prefix = counter.to_bytes(8, "big")
            chunk = (prefix + block * (n // len(block) + 1))[:n]
            yield chunk
            sent += n
            counter += 1
