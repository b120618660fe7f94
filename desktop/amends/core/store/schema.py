"""The schema, one DDL script per version. Plain names on purpose: people
query this file with other SQLite tools (``SELECT * FROM tickets``).

Times are ISO 8601 UTC text (see :mod:`amends.core.clock`). Rows that people
edit carry ``version`` for optimistic concurrency. Published policy versions,
their steps and the audit log are protected by triggers, so that even another
tool cannot rewrite history by accident.
"""

from __future__ import annotations

from amends.core.billing import in_force_id, in_force_of_ticket
from amends.core.store.schema_churn import churn_rows as _churn_rows
from amends.core.store.schema_churn import recompute as _recompute
from amends.core.store.schema_churn import refresh as _refresh
from amends.core.store.schema_money import MONEY_UPSERT as _MONEY_UPSERT
from amends.core.store.schema_money import STAMPED as _STAMPED
from amends.core.store.schema_money import money_rows as _money_rows
from amends.core.vocabulary import CATEGORIES, STEP_TYPES


def _in(values) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


CATEGORY_CHECK = _in(CATEGORIES)
STEP_CHECK = _in(STEP_TYPES)
# The columns of a checklist step, the same in drafts and published versions.
STEP_COLUMNS = f"""    position   INTEGER NOT NULL,
    type       TEXT NOT NULL CHECK (type IN {STEP_CHECK}),
    label      TEXT NOT NULL DEFAULT '',
    days       INTEGER,               -- check-in: after how many days
    offer_kind TEXT,                  -- save offer: percent_next_cycle | account_credit | free_addon
    offer_min  REAL,
    offer_max  REAL,"""

V1 = f"""
CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    ref         TEXT UNIQUE,                 -- external id (imports, exports)
    email       TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    first_ticket_at TEXT,                   -- their first ticket ever (kept by the code
    first_ticket_id INTEGER,                -- that writes tickets; insights start here)
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX customers_email ON customers(email);
CREATE INDEX customers_first_ticket ON customers(first_ticket_at);

CREATE TABLE subscriptions (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    plan         TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    cycle_days   INTEGER NOT NULL CHECK (cycle_days > 0),
    status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'cancelled')),
    cancelled_at TEXT,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX subscriptions_customer ON subscriptions(customer_id, started_at);

CREATE TABLE tickets (
    id            INTEGER PRIMARY KEY,
    ref           TEXT UNIQUE,
    customer_id   INTEGER REFERENCES customers(id),
    subject       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'resolved')),
    category      TEXT NOT NULL DEFAULT 'other' CHECK (category IN {CATEGORY_CHECK}),
    priority      INTEGER NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
    assignee      TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    resolved_at   TEXT,
    billing_cycle INTEGER,                   -- the customer's cycle number when opened
    version       INTEGER NOT NULL DEFAULT 1
);
-- Keyset pagination: for every inbox ordering (updated, created, priority)
-- and every filter column (status, category, assignee) there is an index
-- that starts with the filter and ends in id, so any filtered, sorted page
-- is an index range scan. "Active" (not resolved) is the default inbox, so
-- it gets partial indexes of its own.
CREATE INDEX tickets_updated ON tickets(updated_at, id);
CREATE INDEX tickets_created ON tickets(created_at, id);
CREATE INDEX tickets_priority ON tickets(priority, updated_at, id);
CREATE INDEX tickets_status_updated ON tickets(status, updated_at, id);
CREATE INDEX tickets_status_created ON tickets(status, created_at, id);
CREATE INDEX tickets_status_priority ON tickets(status, priority, updated_at, id);
CREATE INDEX tickets_category_updated ON tickets(category, updated_at, id);
CREATE INDEX tickets_category_created ON tickets(category, created_at, id);
CREATE INDEX tickets_category_priority ON tickets(category, priority, updated_at, id);
CREATE INDEX tickets_assignee_updated ON tickets(assignee, updated_at, id);
CREATE INDEX tickets_assignee_created ON tickets(assignee, created_at, id);
CREATE INDEX tickets_assignee_priority ON tickets(assignee, priority, updated_at, id);
CREATE INDEX tickets_active_updated ON tickets(updated_at, id) WHERE status <> 'resolved';
CREATE INDEX tickets_active_created ON tickets(created_at, id) WHERE status <> 'resolved';
CREATE INDEX tickets_active_priority ON tickets(priority, updated_at, id) WHERE status <> 'resolved';
CREATE INDEX tickets_active_assignee ON tickets(assignee, updated_at, id) WHERE status <> 'resolved';
CREATE INDEX tickets_customer ON tickets(customer_id, created_at);

CREATE TABLE messages (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    direction  TEXT NOT NULL CHECK (direction IN ('in', 'out', 'note')),
    author     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    body       TEXT NOT NULL,
    external_id TEXT,                       -- Message-ID or the helpdesk's comment id (imports, mail)
    flag       TEXT,                        -- 'thanks': a thank-you that did not reopen a resolved ticket
    html       TEXT                         -- mail's HTML, already sanitised (desktop/core/safe_html.py)
);
CREATE INDEX messages_ticket ON messages(ticket_id, created_at);
CREATE UNIQUE INDEX messages_external ON messages(external_id) WHERE external_id IS NOT NULL;

-- Full-text search: one document per ticket (rowid = ticket id) holding the
-- subject and every message body. Written by the same transactions that
-- write tickets and messages (desktop/core/tickets.py), never later.
CREATE VIRTUAL TABLE ticket_search USING fts5(
    subject, body, tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE policies (
    id                   INTEGER PRIMARY KEY,
    ref                  TEXT UNIQUE,
    name                 TEXT NOT NULL,
    category             TEXT NOT NULL CHECK (category IN {CATEGORY_CHECK}),
    segment              TEXT NOT NULL DEFAULT 'any'
                         CHECK (segment IN ('any', 'first_cycle', 'established', 'at_risk')),
    plan                 TEXT,               -- optional narrowing to one plan
    review_interval_days INTEGER NOT NULL DEFAULT 91,
    last_reviewed_at     TEXT,
    draft_dirty          INTEGER NOT NULL DEFAULT 1,  -- draft differs from the latest published version
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    updated_by           TEXT NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1   -- optimistic concurrency on the draft
);

-- The editable draft of each policy.
CREATE TABLE policy_draft_steps (
    id         INTEGER PRIMARY KEY,
    policy_id  INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
{STEP_COLUMNS}
    UNIQUE (policy_id, position)
);

-- Published versions: immutable (see triggers below).
CREATE TABLE policy_versions (
    id           INTEGER PRIMARY KEY,
    policy_id    INTEGER NOT NULL REFERENCES policies(id),
    number       INTEGER NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    UNIQUE (policy_id, number)
);

CREATE TABLE policy_steps (
    id                INTEGER PRIMARY KEY,
    policy_version_id INTEGER NOT NULL REFERENCES policy_versions(id),
{STEP_COLUMNS}
    UNIQUE (policy_version_id, position)
);

CREATE TRIGGER policy_versions_immutable_update BEFORE UPDATE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'published policy versions are immutable'); END;
CREATE TRIGGER policy_versions_immutable_delete BEFORE DELETE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'published policy versions are immutable'); END;
CREATE TRIGGER policy_steps_immutable_update BEFORE UPDATE ON policy_steps
BEGIN SELECT RAISE(ABORT, 'published policy versions are immutable'); END;
CREATE TRIGGER policy_steps_immutable_delete BEFORE DELETE ON policy_steps
BEGIN SELECT RAISE(ABORT, 'published policy versions are immutable'); END;

CREATE TABLE resolutions (
    id                INTEGER PRIMARY KEY,
    ticket_id         INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    policy_version_id INTEGER REFERENCES policy_versions(id),  -- NULL: resolved with no policy
    segment           TEXT,                  -- the customer's segment when resolved
    actor             TEXT NOT NULL,
    resolved_at       TEXT NOT NULL,
    offer_kind        TEXT,
    offer_value       REAL,
    offer_min         REAL,                  -- the bounds in force, copied for reading ease
    offer_max         REAL,
    offer_in_bounds   INTEGER,               -- 1 inside, 0 outside (flagged), NULL no offer/no bounds
    override_reason   TEXT,
    -- Copied from the ticket and the steps when resolved, so the Review pane
    -- reads one row per resolution (resolutions are never edited).
    category          TEXT NOT NULL CHECK (category IN {CATEGORY_CHECK}),
    steps_total       INTEGER NOT NULL DEFAULT 0,
    steps_skipped     INTEGER NOT NULL DEFAULT 0,
    replacements      INTEGER NOT NULL DEFAULT 0,   -- replacement steps done
    refunds           INTEGER NOT NULL DEFAULT 0    -- refund steps done
);
CREATE INDEX resolutions_ticket ON resolutions(ticket_id);
CREATE INDEX resolutions_version ON resolutions(policy_version_id);
CREATE INDEX resolutions_resolved ON resolutions(resolved_at);
CREATE INDEX resolutions_skipped ON resolutions(resolved_at) WHERE steps_skipped > 0;

CREATE TABLE resolution_steps (
    id            INTEGER PRIMARY KEY,
    resolution_id INTEGER NOT NULL REFERENCES resolutions(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    type          TEXT NOT NULL CHECK (type IN {STEP_CHECK}),
    outcome       TEXT NOT NULL CHECK (outcome IN ('done', 'skipped')),
    reason        TEXT,
    UNIQUE (resolution_id, position)
);

CREATE TABLE followups (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    resolution_id INTEGER REFERENCES resolutions(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL DEFAULT 'check_in',
    note          TEXT NOT NULL DEFAULT '',
    due_at        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    done_at       TEXT,
    done_by       TEXT
);
CREATE INDEX followups_open_due ON followups(due_at, ticket_id) WHERE done_at IS NULL;
CREATE INDEX followups_ticket ON followups(ticket_id);

-- Append-only: who changed what, when. ``change`` is JSON (before/after).
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id INTEGER,
    action    TEXT NOT NULL,
    change    TEXT
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Policy reviews: "we looked at this policy on <date> and <note>".
CREATE TABLE policy_reviews (
    id          INTEGER PRIMARY KEY,
    policy_id   INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    reviewed_at TEXT NOT NULL,
    reviewed_by TEXT NOT NULL,
    note        TEXT NOT NULL
);
CREATE INDEX policy_reviews_policy ON policy_reviews(policy_id, reviewed_at);

-- Proposals: service feeding relations. Filed from tickets, decided in the
-- Policies pane (accepted: opens a draft; declined: needs a reason).
CREATE TABLE proposals (
    id             INTEGER PRIMARY KEY,
    text           TEXT NOT NULL,
    category       TEXT CHECK (category IS NULL OR category IN {CATEGORY_CHECK}),
    policy_id      INTEGER REFERENCES policies(id),
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'declined')),
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    decided_at     TEXT,
    decided_by     TEXT,
    decline_reason TEXT,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX proposals_status ON proposals(status, created_at);

CREATE TABLE proposal_tickets (
    proposal_id INTEGER NOT NULL REFERENCES proposals(id) ON DELETE CASCADE,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    PRIMARY KEY (proposal_id, ticket_id)
) WITHOUT ROWID;
CREATE INDEX proposal_tickets_ticket ON proposal_tickets(ticket_id);

-- Presence: who has which ticket open right now. Each app instance writes
-- a heartbeat every few seconds; rows older than 30 s mean nothing.
CREATE TABLE presence (
    instance  TEXT PRIMARY KEY,
    actor     TEXT NOT NULL,
    ticket_id INTEGER,
    activity  TEXT NOT NULL DEFAULT 'viewing' CHECK (activity IN ('viewing', 'replying', 'idle')),
    seen_at   TEXT NOT NULL
);
CREATE INDEX presence_ticket ON presence(ticket_id, seen_at);

-- Unsaved work that must survive a crash: the composer's text and an
-- unfinished recovery checklist, per person and ticket.
CREATE TABLE drafts (
    actor      TEXT NOT NULL,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('reply', 'checklist')),
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (actor, ticket_id, kind)
) WITHOUT ROWID;

-- Mail: accounts (passwords are never stored here: OS keyring or asked once
-- per session) and the outbox that sends replies, retrying while offline.
CREATE TABLE mail_accounts (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    from_address  TEXT NOT NULL,
    smtp_host     TEXT,
    smtp_port     INTEGER,
    smtp_security TEXT NOT NULL DEFAULT 'starttls' CHECK (smtp_security IN ('ssl', 'starttls', 'none')),
    smtp_user     TEXT,
    imap_host     TEXT,
    imap_port     INTEGER,
    imap_security TEXT NOT NULL DEFAULT 'ssl' CHECK (imap_security IN ('ssl', 'starttls', 'none')),
    imap_user     TEXT,
    imap_folder   TEXT NOT NULL DEFAULT 'INBOX',
    fetch_minutes INTEGER NOT NULL DEFAULT 5,
    last_uid      INTEGER,
    version       INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE outbox (
    id                INTEGER PRIMARY KEY,
    ticket_id         INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    message_id        INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    account_id        INTEGER NOT NULL REFERENCES mail_accounts(id),
    to_address        TEXT NOT NULL,
    subject           TEXT NOT NULL,
    body              TEXT NOT NULL,
    header_message_id TEXT NOT NULL,
    in_reply_to       TEXT,
    references_header TEXT,
    status            TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    next_attempt_at   TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    sent_at           TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

-- Settings shared by everyone using this file.
CREATE TABLE settings (
    key     TEXT PRIMARY KEY,
    value   TEXT,
    version INTEGER NOT NULL DEFAULT 1
);
"""

# Version 2: triage at speed (issue 6). Snooze and merge are columns on the
# ticket (every inbox query reads them); tags, saved views and saved replies
# are tables of their own. Merges keep which messages moved, so a merge can be
# undone exactly.
V2 = f"""
ALTER TABLE tickets ADD COLUMN snoozed_until TEXT;    -- hidden from the active views until then
ALTER TABLE tickets ADD COLUMN merged_into INTEGER REFERENCES tickets(id);  -- joined into that ticket
CREATE INDEX tickets_snoozed ON tickets(snoozed_until) WHERE snoozed_until IS NOT NULL;
CREATE INDEX tickets_merged ON tickets(merged_into) WHERE merged_into IS NOT NULL;

-- Customers found by any part of their email or name (from: in the search),
-- kept in step with the customers table by triggers, whoever writes it.
CREATE VIRTUAL TABLE customer_search USING fts5(
    email, name, content = 'customers', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_search (rowid, email, name) VALUES (new.id, new.email, new.name);
END;
CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customer_search (customer_search, rowid, email, name) VALUES ('delete', old.id, old.email, old.name);
END;
CREATE TRIGGER customers_search_update AFTER UPDATE OF email, name ON customers BEGIN
    INSERT INTO customer_search (customer_search, rowid, email, name) VALUES ('delete', old.id, old.email, old.name);
    INSERT INTO customer_search (rowid, email, name) VALUES (new.id, new.email, new.name);
END;
INSERT INTO customer_search (customer_search) VALUES ('rebuild');

CREATE TABLE tags (
    id     INTEGER PRIMARY KEY,
    name   TEXT NOT NULL UNIQUE COLLATE NOCASE,
    colour TEXT NOT NULL DEFAULT '#6c757d' CHECK (colour GLOB '#[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]')
);

CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    tag_id    INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (ticket_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX ticket_tags_tag ON ticket_tags(tag_id, ticket_id);

CREATE TABLE merges (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES tickets(id),
    target_id   INTEGER NOT NULL REFERENCES tickets(id),
    moved       TEXT NOT NULL,             -- JSON: ids of the messages, follow-ups and tags that moved
    source_status TEXT NOT NULL,
    merged_at   TEXT NOT NULL,
    merged_by   TEXT NOT NULL,
    undone_at   TEXT
);
CREATE INDEX merges_target ON merges(target_id);
CREATE INDEX merges_source ON merges(source_id);

-- Views a person saved from a search, in their own order.
CREATE TABLE saved_views (
    id       INTEGER PRIMARY KEY,
    actor    TEXT NOT NULL,
    name     TEXT NOT NULL,
    query    TEXT NOT NULL DEFAULT '',    -- the search text (desktop/core/query_syntax.py)
    status   TEXT NOT NULL DEFAULT 'active',
    sort     TEXT NOT NULL DEFAULT 'updated',
    position INTEGER NOT NULL,
    version  INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX saved_views_actor ON saved_views(actor, position);

-- Saved replies (canned responses) with placeholders; a step type makes the
-- checklist offer the reply at that step.
CREATE TABLE saved_replies (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    body       TEXT NOT NULL,
    step_type  TEXT CHECK (step_type IS NULL OR step_type IN {STEP_CHECK}),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1
);
"""

# Version 3: mail intake keeps every message (issues 11 and 12). What was
# wrong with a message (no Date, no sender, unknown charset, broken MIME, a
# bounce ...) is noted on it as a JSON list of sentences instead of refusing it.
V3 = f"""
ALTER TABLE messages ADD COLUMN defects TEXT;   -- JSON list: what was wrong with this mail when it came in

-- H8 (issue 13): subscriptions as the platforms have them. Several per
-- customer, each known by the platform's id; the billing interval as unit x
-- count (filled from cycle_days on upgrade, store/migrations.py; cycle_days
-- is still written, roughly, for other tools); the platform's status word
-- kept next to ours; the price per cycle in the currency's smallest unit.
ALTER TABLE subscriptions ADD COLUMN ref TEXT;             -- 'stripe:sub_...', 'recharge:123' ...
ALTER TABLE subscriptions ADD COLUMN interval_unit TEXT
    CHECK (interval_unit IS NULL OR interval_unit IN ('day', 'week', 'month', 'year'));
ALTER TABLE subscriptions ADD COLUMN interval_count INTEGER CHECK (interval_count IS NULL OR interval_count > 0);
ALTER TABLE subscriptions ADD COLUMN status_original TEXT; -- trialing, past_due, FAILED ... as exported
ALTER TABLE subscriptions ADD COLUMN price_minor INTEGER;  -- per cycle (all units), e.g. 2900 = 29.00
ALTER TABLE subscriptions ADD COLUMN currency TEXT;        -- ISO 4217, upper case
ALTER TABLE subscriptions ADD COLUMN quantity INTEGER;
CREATE UNIQUE INDEX subscriptions_ref ON subscriptions(ref) WHERE ref IS NOT NULL;

-- H9 (issue 13 point 4): one customer per address. Every address a customer
-- writes from or is known by, normalised (lower case, no display name, no
-- surrounding space: amends.core.customers.address_key); one address belongs
-- to one customer only. Filled, and today's duplicates merged, by the
-- version 3 upgrade hook (amends.core.address_merge).
CREATE TABLE customer_addresses (
    address     TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    added_at    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX customer_addresses_customer ON customer_addresses(customer_id);
-- H13 (issue 12.5): attachments kept in the file itself, so that backups,
-- restore, sharing and exports carry them with nothing else to copy. One
-- row per content (sha256 of the bytes: the same photo sent twice is stored
-- once); each message lists its files in attachments. A file over the size
-- limit (settings 'attachments.max_bytes') is listed with kept = 0 and no
-- content. The last link to a content going takes the content with it.
CREATE TABLE attachment_contents (
    sha256 TEXT PRIMARY KEY,               -- hex SHA-256 of data
    size   INTEGER NOT NULL,
    data   BLOB NOT NULL
);
CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,              -- made safe (no folders, no bidi controls)
    type       TEXT NOT NULL,              -- MIME type as declared, e.g. image/jpeg
    size       INTEGER NOT NULL,
    sha256     TEXT,                       -- NULL: the content was never seen (helpdesk file not given)
    kept       INTEGER NOT NULL CHECK (kept IN (0, 1)),  -- 1: the bytes are in attachment_contents
    content_id TEXT,                       -- Content-ID: what an HTML part's cid: links name
    inline     INTEGER NOT NULL DEFAULT 0 CHECK (inline IN (0, 1))
);
CREATE INDEX attachments_message ON attachments(message_id, position);
CREATE INDEX attachments_content ON attachments(sha256) WHERE kept = 1;
CREATE TRIGGER attachments_release AFTER DELETE ON attachments
WHEN old.kept = 1 AND NOT EXISTS (SELECT 1 FROM attachments WHERE sha256 = old.sha256 AND kept = 1)
BEGIN
    DELETE FROM attachment_contents WHERE sha256 = old.sha256;
END;

-- H10 (issue 13, point 6): rules sort new tickets. Each is a search
-- (desktop/amends/core/query_syntax.py) and what to set when a new ticket
-- matches it; applied in position order when mail arrives and on import.
CREATE TABLE rules (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    position   INTEGER NOT NULL,
    query      TEXT NOT NULL,                -- the condition, in the search language
    category   TEXT CHECK (category IS NULL OR category IN {CATEGORY_CHECK}),
    priority   INTEGER CHECK (priority IS NULL OR priority BETWEEN 0 AND 3),
    assignee   TEXT,
    tags       TEXT NOT NULL DEFAULT '[]',   -- JSON list of tag names to add
    enabled    INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX rules_position ON rules(position);

-- H12 (issue 12 points 2, 3): several mailboxes, IMAP that never skips.
-- A mail account is a mailbox (hello@, billing@): a short name to filter by
-- (mailbox:billing), its own signature, default category and assignee, and
-- how it signs in ('password'; OAuth2 kinds are checked in core/mail, not
-- here, so new ones need no table rebuild). Removed mailboxes are kept
-- (old outbox rows and tickets point at them) but hidden.
ALTER TABLE mail_accounts ADD COLUMN label TEXT;
ALTER TABLE mail_accounts ADD COLUMN signature TEXT;
ALTER TABLE mail_accounts ADD COLUMN default_category TEXT;
ALTER TABLE mail_accounts ADD COLUMN default_assignee TEXT;
ALTER TABLE mail_accounts ADD COLUMN auth TEXT NOT NULL DEFAULT 'password';
ALTER TABLE mail_accounts ADD COLUMN removed_at TEXT;
CREATE UNIQUE INDEX mail_accounts_label ON mail_accounts(label COLLATE NOCASE) WHERE removed_at IS NULL;
-- Where fetching stands in each folder: a UID is only meaningful with its
-- UIDVALIDITY; when the server reports another one, the folder is read again
-- from the start (de-duplicated by Message-ID). mail_accounts.last_uid is
-- no longer used (moved here on upgrade).
CREATE TABLE mail_folders (
    account_id  INTEGER NOT NULL REFERENCES mail_accounts(id) ON DELETE CASCADE,
    folder      TEXT NOT NULL,
    uidvalidity INTEGER,
    last_uid    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, folder)
) WITHOUT ROWID;
-- The mailbox a ticket came in on: its replies go out from there.
ALTER TABLE tickets ADD COLUMN mailbox_id INTEGER REFERENCES mail_accounts(id);
CREATE INDEX tickets_mailbox ON tickets(mailbox_id, updated_at, id) WHERE mailbox_id IS NOT NULL;

-- H11 (issue 12 point 1): OAuth2 sign-in (auth 'oauth2-microsoft', 'oauth2-google' or
-- 'oauth2' for a provider given by its endpoints). The founder's own app registration:
-- its client id, Microsoft's tenant, Google's client secret (not secret in an installed
-- app), and for 'oauth2' the endpoints and scope. Tokens never go here: the refresh
-- token is in the OS keyring (core/mail/oauth.py).
ALTER TABLE mail_accounts ADD COLUMN oauth_client_id TEXT;
ALTER TABLE mail_accounts ADD COLUMN oauth_tenant TEXT;
ALTER TABLE mail_accounts ADD COLUMN oauth_client_secret TEXT;
ALTER TABLE mail_accounts ADD COLUMN oauth_authorize_url TEXT;
ALTER TABLE mail_accounts ADD COLUMN oauth_token_url TEXT;
ALTER TABLE mail_accounts ADD COLUMN oauth_revoke_url TEXT;
ALTER TABLE mail_accounts ADD COLUMN oauth_scope TEXT;
"""

# Version 4: see each block's header.
V4 = f"""
-- T17A (issue 17 points 1, 3, 4, 5, 7): replies that are really sent.
-- not_before: the outbox never sends a mail before it (undo send holds a
-- reply a few seconds; send later holds it until a chosen time). kind: what
-- the mail is (a reply on the ticket, a satisfaction survey, an away reply).
ALTER TABLE outbox ADD COLUMN not_before TEXT;
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'reply' CHECK (kind IN ('reply', 'survey', 'away'));
-- A reply recorded while no mailbox could send it: "not sent — no mailbox",
-- never shown as sent; queueing it later removes the row.
CREATE TABLE unsent_replies (
    message_id  INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    reason      TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
-- Surveys that are sent: one per resolution (resolutions are immutable, so
-- the answer lives beside them). The answer keeps the reply it came in.
CREATE TABLE surveys (
    resolution_id     INTEGER PRIMARY KEY REFERENCES resolutions(id) ON DELETE CASCADE,
    ticket_id         INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    outbox_id         INTEGER REFERENCES outbox(id) ON DELETE SET NULL,
    header_message_id TEXT NOT NULL,
    sent_at           TEXT NOT NULL
);
CREATE INDEX surveys_ticket ON surveys(ticket_id);
CREATE TABLE survey_answers (
    resolution_id INTEGER PRIMARY KEY REFERENCES resolutions(id) ON DELETE CASCADE,
    score         INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    message_id    INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    answered_at   TEXT NOT NULL
);
-- Away replies: per mailbox 'off', 'hours' (outside business hours) or 'on';
-- at most one per address per mailbox per day (the primary key says so).
ALTER TABLE mail_accounts ADD COLUMN away_mode TEXT NOT NULL DEFAULT 'off' CHECK (away_mode IN ('off', 'hours', 'on'));
ALTER TABLE mail_accounts ADD COLUMN away_text TEXT;
CREATE TABLE away_replies (
    account_id INTEGER NOT NULL REFERENCES mail_accounts(id) ON DELETE CASCADE,
    address    TEXT NOT NULL COLLATE NOCASE,
    day        TEXT NOT NULL,
    outbox_id  INTEGER REFERENCES outbox(id) ON DELETE SET NULL,
    PRIMARY KEY (account_id, address, day)
) WITHOUT ROWID;

-- T18 (issue 18 points 4, 5): what a policy review decided, and fixes made
-- upstream of support. A review of one policy ends in a decision with a
-- note; 'retire' also sets policies.retired_at (a retired policy matches no
-- new ticket and covers no category). An upstream change ("double-wall boxes
-- from 15 May") is measured like a published version: its category's (or
-- theme's) rate before and after effective_at.
ALTER TABLE policies ADD COLUMN retired_at TEXT;
CREATE TABLE policy_decisions (
    id           INTEGER PRIMARY KEY,
    policy_id    INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
    decision     TEXT NOT NULL CHECK (decision IN ('keep', 'change', 'retire')),
    note         TEXT NOT NULL CHECK (length(trim(note)) > 0),
    period_since TEXT NOT NULL,            -- the quarter reviewed, YYYY-MM-DD, both ends included
    period_until TEXT NOT NULL,
    decided_at   TEXT NOT NULL,
    decided_by   TEXT NOT NULL
);
CREATE INDEX policy_decisions_policy ON policy_decisions(policy_id, decided_at);
CREATE TABLE upstream_changes (
    id           INTEGER PRIMARY KEY,
    what         TEXT NOT NULL CHECK (length(trim(what)) > 0),
    effective_at TEXT NOT NULL,            -- from when it applies (ISO 8601 UTC)
    category     TEXT NOT NULL CHECK (category IN {CATEGORY_CHECK}),
    theme        TEXT,                     -- a theme's phrase, or NULL for the whole category
    policy_id    INTEGER REFERENCES policies(id) ON DELETE SET NULL,
    recorded_at  TEXT NOT NULL,
    recorded_by  TEXT NOT NULL
);
CREATE INDEX upstream_changes_category ON upstream_changes(category, effective_at);
"""

# Version 4: one block per task (each with its own header), concatenated by the integrator.
_WAITING = """UPDATE tickets SET
    waiting_since = (SELECT min(m.created_at) FROM messages m WHERE m.ticket_id = tickets.id
                     AND m.direction = 'in' AND m.flag IS NOT 'thanks'
                     AND m.created_at > coalesce((SELECT max(o.created_at) FROM messages o
                                                  WHERE o.ticket_id = tickets.id AND o.direction = 'out'), '')),
    replied_at = (SELECT min(o.created_at) FROM messages o WHERE o.ticket_id = tickets.id AND o.direction = 'out'),
    last_in_at = (SELECT max(m.created_at) FROM messages m WHERE m.ticket_id = tickets.id AND m.direction = 'in')"""

#: The waiting columns recomputed from the messages: what the triggers below keep current
#: (an import that writes tickets after their messages sets them with it, importers/writer.py).
WAITING = _WAITING

_V4_T17B = f"""
-- T17B (issue 17 points 2, 6, 8): waiting times, reply targets, per-person read marks, split links.
-- How long the customer has waited: since their oldest message after our last reply
-- (a thank-you that did not reopen the ticket waits for nothing); replied_at = our first
-- reply (NULL: the first-reply target applies, else the next-reply one); last_in_at = their
-- latest message (unread for me when I last read the ticket before it). Derived from the
-- messages by triggers, so every writer (imports, mail, merges, splits, other tools) keeps
-- them right; they never bump tickets.version (nobody edited the ticket).
ALTER TABLE tickets ADD COLUMN waiting_since TEXT;
ALTER TABLE tickets ADD COLUMN replied_at TEXT;
ALTER TABLE tickets ADD COLUMN last_in_at TEXT;
-- A ticket split off another (a message and what followed it): both name each other.
ALTER TABLE tickets ADD COLUMN split_from INTEGER REFERENCES tickets(id);
CREATE INDEX tickets_split ON tickets(split_from) WHERE split_from IS NOT NULL;
-- "Oldest waiting first" (keyset over the expression; not waiting sorts last) and is:overdue.
CREATE INDEX tickets_active_waiting ON tickets(coalesce(waiting_since, '~'), id) WHERE status <> 'resolved';
CREATE INDEX tickets_waiting ON tickets(waiting_since) WHERE waiting_since IS NOT NULL AND status <> 'resolved';
-- A message written after every other one of its ticket (mail, replies, most imports) moves
-- the columns by itself (one index seek); one written in between recomputes them. Notes wait
-- for nothing and answer nobody.
CREATE TRIGGER messages_waiting_append AFTER INSERT ON messages
WHEN NEW.direction IN ('in', 'out') AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = NEW.ticket_id
     AND m.direction IN ('in', 'out') AND m.created_at > NEW.created_at) BEGIN
UPDATE tickets SET
    waiting_since = CASE WHEN NEW.direction = 'out' THEN NULL
                         WHEN NEW.flag IS 'thanks' THEN waiting_since
                         ELSE coalesce(waiting_since, NEW.created_at) END,
    replied_at = CASE WHEN NEW.direction = 'out' THEN coalesce(replied_at, NEW.created_at) ELSE replied_at END,
    last_in_at = CASE WHEN NEW.direction = 'in' THEN NEW.created_at ELSE last_in_at END
WHERE id = NEW.ticket_id; END;
CREATE TRIGGER messages_waiting_insert AFTER INSERT ON messages
WHEN NEW.direction IN ('in', 'out') AND EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = NEW.ticket_id
     AND m.direction IN ('in', 'out') AND m.created_at > NEW.created_at) BEGIN
{_WAITING} WHERE id = NEW.ticket_id; END;
CREATE TRIGGER messages_waiting_delete AFTER DELETE ON messages WHEN OLD.direction IN ('in', 'out') BEGIN
{_WAITING} WHERE id = OLD.ticket_id; END;
CREATE TRIGGER messages_waiting_update AFTER UPDATE OF ticket_id, direction, created_at, flag ON messages BEGIN
{_WAITING} WHERE id IN (OLD.ticket_id, NEW.ticket_id); END;
{_WAITING};
-- Reply targets in minutes of business time (core/targets.py): the most specific row wins
-- (category and priority, then category, then priority, then the default row with both NULL).
CREATE TABLE reply_targets (
    id            INTEGER PRIMARY KEY,
    category      TEXT CHECK (category IS NULL OR category IN {CATEGORY_CHECK}),
    priority      INTEGER,
    first_minutes INTEGER CHECK (first_minutes IS NULL OR first_minutes > 0),
    next_minutes  INTEGER CHECK (next_minutes IS NULL OR next_minutes > 0)
);
CREATE UNIQUE INDEX reply_targets_key ON reply_targets(coalesce(category, ''), coalesce(priority, -1));
INSERT INTO reply_targets (category, priority, first_minutes, next_minutes) VALUES (NULL, NULL, 1440, 1440);
-- When each person last read each ticket (bold = a customer message since). Not audited:
-- reading changes nothing.
CREATE TABLE read_marks (
    actor     TEXT NOT NULL,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    read_at   TEXT NOT NULL,
    PRIMARY KEY (actor, ticket_id)
) WITHOUT ROWID;

-- T16 (issue 16): the subscription in force for a ticket (billing.in_force_id, a
-- subquery per resolution and per first ticket in the Review) and the active
-- subscribers of a window (insights.subscribers.active_in) read customer_id,
-- started_at and cancelled_at only: this index answers both without the table.
-- It replaces subscriptions_customer (its prefix).
CREATE INDEX subscriptions_in_force ON subscriptions(customer_id, started_at, cancelled_at);
DROP INDEX subscriptions_customer;
"""
V4 += _V4_T17B

# F3: the subscription in force for a ticket, stamped on it (see the block's header).
_IN_FORCE_OF_TICKETS = f"coalesce({in_force_id('tickets.customer_id', 'tickets.created_at')}, 0)"
_V4_F3 = f"""
-- F3 (issue 16): the subscription in force when each ticket was opened (billing.in_force_id:
-- three index searches), stamped on the ticket: NULL = not stamped (the read computes it,
-- billing.in_force_of_ticket), 0 = none. The Review asked it once per resolution (cost in
-- money), per first ticket (cycle-1 churn) and per save-offer customer: 70 % of its SQL at
-- 1,000,000 tickets. A stamp must always equal in_force_id: imports of a platform's export add,
-- cancel or move subscriptions after the tickets, so triggers on subscriptions restamp the
-- customer's tickets, and one on tickets restamps a ticket whose customer or opening time
-- changes. None on inserting a ticket: any trigger there makes every ticket insert ~2.5x slower
-- (SQLite then seeks each index afresh); writers of many tickets stamp after them
-- (billing.stamp_sql). Stamps never bump tickets.version (nobody edited the ticket). The
-- expression is billing.in_force_id's text: changing that function changes this script.
ALTER TABLE tickets ADD COLUMN subscription_id INTEGER;
CREATE TRIGGER tickets_in_force_update AFTER UPDATE OF customer_id, created_at ON tickets
WHEN NEW.customer_id IS NOT OLD.customer_id OR NEW.created_at IS NOT OLD.created_at BEGIN
UPDATE tickets SET subscription_id = {_IN_FORCE_OF_TICKETS} WHERE id = NEW.id; END;
CREATE TRIGGER subscriptions_in_force_insert AFTER INSERT ON subscriptions BEGIN
UPDATE tickets SET subscription_id = {_IN_FORCE_OF_TICKETS}
WHERE customer_id = NEW.customer_id AND subscription_id IS NOT {_IN_FORCE_OF_TICKETS}; END;
CREATE TRIGGER subscriptions_in_force_update AFTER UPDATE OF customer_id, started_at, cancelled_at ON subscriptions
WHEN NEW.customer_id IS NOT OLD.customer_id OR NEW.started_at IS NOT OLD.started_at
     OR NEW.cancelled_at IS NOT OLD.cancelled_at BEGIN
UPDATE tickets SET subscription_id = {_IN_FORCE_OF_TICKETS}
WHERE customer_id IN (OLD.customer_id, NEW.customer_id) AND subscription_id IS NOT {_IN_FORCE_OF_TICKETS}; END;
CREATE TRIGGER subscriptions_in_force_delete AFTER DELETE ON subscriptions BEGIN
UPDATE tickets SET subscription_id = {_IN_FORCE_OF_TICKETS}
WHERE customer_id = OLD.customer_id AND subscription_id IS NOT {_IN_FORCE_OF_TICKETS}; END;
UPDATE tickets SET subscription_id = {_IN_FORCE_OF_TICKETS};
"""
V4 += _V4_F3

V5 = """
-- S16REVIEW: the Review's reads of a period's resolutions and messages from index ranges that hold every
-- column they need (issue 16: at 1,000,000 tickets the table rows of a quarter's ~230,000 resolutions were
-- looked up one by one, three times). Indexes rather than summary rows kept by triggers: no trigger on the
-- resolve path, and nothing that can drift from the rows when another tool writes raw SQL.
-- The grouped counts (checklist, cost units, offer totals and bounds per category and kind); with the
-- ticket, also the priced resolutions (cost in money) and the save-offer candidates:
CREATE INDEX resolutions_period ON resolutions(resolved_at, category, offer_kind, policy_version_id, steps_skipped,
    replacements, refunds, offer_value, offer_in_bounds, ticket_id);
-- The offer values, for each person's median per category:
CREATE INDEX resolutions_offers ON resolutions(resolved_at, actor, category, offer_value)
    WHERE offer_value IS NOT NULL;
-- The few offers outside their bounds:
CREATE INDEX resolutions_out_of_range ON resolutions(resolved_at) WHERE offer_in_bounds = 0;
-- Reply targets: the tickets with a message in the period (every message's entry of messages_ticket was read):
CREATE INDEX messages_created ON messages(created_at, ticket_id);
"""

V6 = """
-- BEGIN V6REVIEW
-- The Review's figures of a period's resolutions from per-day sums kept by triggers (issue 16: at
-- 1,000,000 tickets the covering indexes of schema 5 still read ~236,000 index entries a quarter, three
-- times; 13 s for the whole Review). Resolutions and their steps are never edited or deleted by Amends
-- (a ticket is never deleted), so each row is added once, in the transaction that writes it; the Review
-- sums a quarter's ~90 days. A day is the first 10 characters of resolved_at: a period is whole UTC days.
-- Columns that may be NULL in the rows are kept as text plus a flag (NULL cannot be part of a key that
-- ON CONFLICT matches, nor of a PostgreSQL primary key). Filled here for the existing rows.
-- The grouped counts: checklist completion, cost units, offer totals and bounds, per category and kind.
CREATE TABLE review_resolution_days (
    day          TEXT NOT NULL,
    category     TEXT NOT NULL,
    offer_kind   TEXT NOT NULL,
    no_kind      INTEGER NOT NULL,
    resolutions  INTEGER NOT NULL,
    with_policy  INTEGER NOT NULL,
    complete     INTEGER NOT NULL,
    replacements INTEGER NOT NULL,
    refunds      INTEGER NOT NULL,
    offers       INTEGER NOT NULL,
    offers_total REAL NOT NULL,
    bounded      INTEGER NOT NULL,
    in_bounds    INTEGER NOT NULL,
    PRIMARY KEY (day, category, offer_kind, no_kind)
) WITHOUT ROWID;
CREATE TRIGGER review_resolution_days_add AFTER INSERT ON resolutions
BEGIN
INSERT INTO review_resolution_days (day, category, offer_kind, no_kind, resolutions, with_policy, complete,
    replacements, refunds, offers, offers_total, bounded, in_bounds)
VALUES (substr(NEW.resolved_at, 1, 10), NEW.category, coalesce(NEW.offer_kind, ''),
    CASE WHEN NEW.offer_kind IS NULL THEN 1 ELSE 0 END, 1,
    CASE WHEN NEW.policy_version_id IS NOT NULL THEN 1 ELSE 0 END,
    CASE WHEN NEW.policy_version_id IS NOT NULL AND NEW.steps_skipped = 0 THEN 1 ELSE 0 END,
    NEW.replacements, NEW.refunds, CASE WHEN NEW.offer_value IS NOT NULL THEN 1 ELSE 0 END,
    coalesce(NEW.offer_value, 0), CASE WHEN NEW.offer_in_bounds IS NOT NULL THEN 1 ELSE 0 END,
    coalesce(NEW.offer_in_bounds, 0))
ON CONFLICT (day, category, offer_kind, no_kind) DO UPDATE SET
    resolutions = review_resolution_days.resolutions + excluded.resolutions,
    with_policy = review_resolution_days.with_policy + excluded.with_policy,
    complete = review_resolution_days.complete + excluded.complete,
    replacements = review_resolution_days.replacements + excluded.replacements,
    refunds = review_resolution_days.refunds + excluded.refunds,
    offers = review_resolution_days.offers + excluded.offers,
    offers_total = review_resolution_days.offers_total + excluded.offers_total,
    bounded = review_resolution_days.bounded + excluded.bounded,
    in_bounds = review_resolution_days.in_bounds + excluded.in_bounds;
END;
INSERT INTO review_resolution_days (day, category, offer_kind, no_kind, resolutions, with_policy, complete,
    replacements, refunds, offers, offers_total, bounded, in_bounds)
SELECT substr(resolved_at, 1, 10), category, coalesce(offer_kind, ''), CASE WHEN offer_kind IS NULL THEN 1 ELSE 0 END,
    count(*), sum(CASE WHEN policy_version_id IS NOT NULL THEN 1 ELSE 0 END),
    sum(CASE WHEN policy_version_id IS NOT NULL AND steps_skipped = 0 THEN 1 ELSE 0 END), sum(replacements),
    sum(refunds), count(offer_value), coalesce(sum(offer_value), 0), count(offer_in_bounds),
    coalesce(sum(offer_in_bounds), 0)
FROM resolutions GROUP BY substr(resolved_at, 1, 10), category, coalesce(offer_kind, ''),
    CASE WHEN offer_kind IS NULL THEN 1 ELSE 0 END;
-- The offer values, counted per value: each person's minimum, median and maximum per category.
CREATE TABLE review_offer_values (
    day         TEXT NOT NULL,
    actor       TEXT NOT NULL,
    category    TEXT NOT NULL,
    offer_value REAL NOT NULL,
    offers      INTEGER NOT NULL,
    PRIMARY KEY (day, actor, category, offer_value)
) WITHOUT ROWID;
CREATE TRIGGER review_offer_values_add AFTER INSERT ON resolutions WHEN NEW.offer_value IS NOT NULL
BEGIN
INSERT INTO review_offer_values (day, actor, category, offer_value, offers)
VALUES (substr(NEW.resolved_at, 1, 10), NEW.actor, NEW.category, NEW.offer_value, 1)
ON CONFLICT (day, actor, category, offer_value) DO UPDATE SET offers = review_offer_values.offers + 1;
END;
INSERT INTO review_offer_values (day, actor, category, offer_value, offers)
SELECT substr(resolved_at, 1, 10), actor, category, offer_value, count(*) FROM resolutions
WHERE offer_value IS NOT NULL GROUP BY substr(resolved_at, 1, 10), actor, category, offer_value;
-- Skipped steps by person, step and reason (a step of a resolution that counted a skip, as the figure reads).
CREATE TABLE review_skipped_days (
    day       TEXT NOT NULL,
    actor     TEXT NOT NULL,
    type      TEXT NOT NULL,
    reason    TEXT NOT NULL,
    no_reason INTEGER NOT NULL,
    skipped   INTEGER NOT NULL,
    PRIMARY KEY (day, actor, type, reason, no_reason)
) WITHOUT ROWID;
CREATE TRIGGER review_skipped_days_add AFTER INSERT ON resolution_steps WHEN NEW.outcome = 'skipped'
BEGIN
INSERT INTO review_skipped_days (day, actor, type, reason, no_reason, skipped)
SELECT substr(r.resolved_at, 1, 10), r.actor, NEW.type, coalesce(NEW.reason, ''),
    CASE WHEN NEW.reason IS NULL THEN 1 ELSE 0 END, 1
FROM resolutions r WHERE r.id = NEW.resolution_id AND r.steps_skipped > 0
ON CONFLICT (day, actor, type, reason, no_reason) DO UPDATE SET skipped = review_skipped_days.skipped + 1;
END;
INSERT INTO review_skipped_days (day, actor, type, reason, no_reason, skipped)
SELECT substr(r.resolved_at, 1, 10), r.actor, s.type, coalesce(s.reason, ''), CASE WHEN s.reason IS NULL THEN 1 ELSE 0 END,
    count(*)
FROM resolutions r JOIN resolution_steps s ON s.resolution_id = r.id
WHERE r.steps_skipped > 0 AND s.outcome = 'skipped'
GROUP BY substr(r.resolved_at, 1, 10), r.actor, s.type, coalesce(s.reason, ''),
    CASE WHEN s.reason IS NULL THEN 1 ELSE 0 END;
-- A prefix of resolutions_period (schema 5): every read it served, that index serves.
DROP INDEX resolutions_resolved;
-- END V6REVIEW
-- BEGIN V6SEARCH
-- The search index rebuilt with prefix indexes (issue 16): the search box matches the word being typed as a
-- prefix from its third letter ("order"*), and FTS5 answers a prefix without an index of exactly that length
-- by merging the whole doclist of every word starting with it before the newest page can be read (62 ms raw,
-- 164 ms keystroke to painted on 1,000,000 tickets). With one, the prefix is a single term read newest first.
-- 3 to 12 letters (longer words are few and cheap to merge). FTS5 cannot add a prefix index to a table: the
-- text is copied aside (keyed by ticket id, so refilling in id order needs no sort), the table made anew under
-- its own name and filled (the rowid stays the ticket id). No rename: renaming it would rewrite or refuse views
-- and triggers other tools added over it. SQLite only: PostgreSQL's tsvector search (pg_schema) answers a
-- prefix from its GIN index as it is.
CREATE TABLE ticket_search_copy (id INTEGER PRIMARY KEY, subject, body); -- SQLite only
INSERT INTO ticket_search_copy SELECT rowid, subject, body FROM ticket_search; -- SQLite only
DROP TABLE ticket_search; -- SQLite only
CREATE VIRTUAL TABLE ticket_search USING fts5(
    subject, body, tokenize = 'unicode61 remove_diacritics 2', prefix = '3 4 5 6 7 8 9 10 11 12'
); -- SQLite only
INSERT INTO ticket_search (rowid, subject, body)
    SELECT id, subject, body FROM ticket_search_copy ORDER BY id; -- SQLite only
DROP TABLE ticket_search_copy; -- SQLite only
-- END V6SEARCH
"""


#: Every resolution's money summed from the rows (the fill of review_money_days): schema 7 fills it so, and
#: schema 8 (V8MONEY) sums it again.
_MONEY_FILL = _money_rows("resolutions r JOIN tickets t ON t.id = r.ticket_id LEFT JOIN subscriptions s ON s.id = "
                          + in_force_of_ticket("t"), "s.price_minor", "s.currency", "1", "1 = 1")

V7_RESOL = f"""
-- BEGIN V7RESOL
-- The money of recovery (insights.resolutions.recovery_money: each resolution's offer and refunds priced
-- through the subscription in force when its ticket was opened) from per-day sums kept by triggers (issue 16:
-- at 1,000,000 tickets the period's ~236,000 resolutions were joined to their tickets and subscriptions:
-- ~1.1 s). Resolutions are immutable, but the price is not: it is the stamped subscription's price now, so
-- the sums are corrected when a stamp or a price changes. A resolved ticket is always stamped (its first
-- money-bearing resolution stamps it, the upgrade stamps those already resolved), so a correction knows what
-- each resolution was counted at: the price of the ticket's stamp. A price changes BEFORE the row does
-- (moving its tickets to the new price), a subscription leaves BEFORE it goes (moving its tickets to none),
-- so when schema 4's triggers then restamp tickets, the stamp being left is priced as it was counted,
-- whatever order the triggers of one statement run in. Replacements are counted, priced when read (their
-- cost is a setting, costs.py). Keyed by day, category, policy version (0 = none; a policy's review pack
-- reads its own) and currency ('' = none: offers and refunds with no price to go by, counted as unpriced).
CREATE TABLE review_money_days (
    day               TEXT NOT NULL,
    category          TEXT NOT NULL,
    policy_version_id INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    resolutions       INTEGER NOT NULL,  -- resolutions with an offer, a replacement or a refund
    priced            INTEGER NOT NULL,  -- amounts counted in this currency (it is listed when > 0)
    percent_minor     REAL NOT NULL,     -- percent offers: price x value / 100, in minor units
    credits           REAL NOT NULL,     -- account credits, in major units
    refunds_minor     INTEGER NOT NULL,  -- refunds at one cycle's price, in minor units
    priced_refunds    INTEGER NOT NULL,  -- resolutions whose refunds were priced (an estimate)
    replacements      INTEGER NOT NULL,
    unpriced          INTEGER NOT NULL,
    PRIMARY KEY (day, category, policy_version_id, currency)
) WITHOUT ROWID;
UPDATE tickets SET subscription_id = {_IN_FORCE_OF_TICKETS}
WHERE subscription_id IS NULL AND id IN (SELECT ticket_id FROM resolutions);
CREATE TRIGGER review_money_days_add AFTER INSERT ON resolutions
WHEN NEW.offer_value IS NOT NULL OR NEW.replacements > 0 OR NEW.refunds > 0
BEGIN
UPDATE tickets SET subscription_id = {_IN_FORCE_OF_TICKETS} WHERE id = NEW.ticket_id AND subscription_id IS NULL;
{_money_rows("resolutions r JOIN tickets t ON t.id = r.ticket_id LEFT JOIN subscriptions s ON s.id = t.subscription_id",
             "s.price_minor", "s.currency", "1", "r.id = NEW.id")}{_MONEY_UPSERT};
END;
CREATE TRIGGER review_money_days_restamp AFTER UPDATE OF subscription_id ON tickets
WHEN OLD.subscription_id IS NOT NULL AND NEW.subscription_id IS NOT OLD.subscription_id
BEGIN
UPDATE tickets SET subscription_id = {_IN_FORCE_OF_TICKETS} WHERE id = NEW.id AND subscription_id IS NULL;
{_money_rows("resolutions r, (SELECT OLD.subscription_id AS sub, -1 AS g UNION ALL "
             "SELECT t.subscription_id, 1 FROM tickets t WHERE t.id = NEW.id) m "
             "LEFT JOIN subscriptions s ON s.id = m.sub", "s.price_minor", "s.currency", "m.g",
             "r.ticket_id = NEW.id")}{_MONEY_UPSERT};
END;
CREATE TRIGGER review_money_days_price BEFORE UPDATE OF price_minor, currency ON subscriptions
WHEN NEW.price_minor IS NOT OLD.price_minor OR NEW.currency IS NOT OLD.currency
BEGIN
{_money_rows(_STAMPED.format(new_price="NEW.price_minor", new_currency="NEW.currency"), "m.price", "m.cur", "m.g",
             "t.customer_id = OLD.customer_id AND t.subscription_id = OLD.id")}{_MONEY_UPSERT};
END;
CREATE TRIGGER review_money_days_gone BEFORE DELETE ON subscriptions
BEGIN
{_money_rows(_STAMPED.format(new_price="NULL", new_currency="NULL"), "m.price", "m.cur", "m.g",
             "t.customer_id = OLD.customer_id AND t.subscription_id = OLD.id")}{_MONEY_UPSERT};
END;
{_MONEY_FILL};
-- END V7RESOL
"""
#: The money of the resolutions of the tickets whose ids lie in a range (two parameters, low and high) added to
#: review_money_days, for a writer that inserts tickets after their resolutions: a batched import on SQLite
#: (importers/write_batch.py) writes a file's tickets last, so review_money_days_add found no ticket for them
#: and added nothing (tickets new in that range have no other resolutions). As that trigger does, a ticket with
#: money is stamped first (the money is priced through the stamp, and corrected when the stamp moves).
MONEY_OF_TICKET_RANGE = (
    f"UPDATE tickets SET subscription_id = {_IN_FORCE_OF_TICKETS} WHERE id BETWEEN ? AND ? "
    "AND subscription_id IS NULL AND id IN (SELECT r.ticket_id FROM resolutions r WHERE r.ticket_id BETWEEN ? AND ? "
    "AND (r.offer_value IS NOT NULL OR r.replacements > 0 OR r.refunds > 0))",
    _money_rows("resolutions r JOIN tickets t ON t.id = r.ticket_id LEFT JOIN subscriptions s ON s.id = "
                "t.subscription_id", "s.price_minor", "s.currency", "1", "r.ticket_id BETWEEN ? AND ?")
    + _MONEY_UPSERT)


def _epoch(text: str) -> str:
    """SQL for the seconds since 1970 of a stored time ``YYYY-MM-DDTHH:MM:SSZ`` (clock.FORMAT), by integer
    arithmetic on its digits (days from the civil date, H. Hinnant's algorithm): the same on SQLite and
    PostgreSQL, with no date function (PostgreSQL has no strftime('%s')). NULL for a time written any other
    way (the Review then walks that wait in Python, as it parses any ISO time)."""
    y = f"(CAST(substr({text}, 1, 4) AS INTEGER) - CASE WHEN CAST(substr({text}, 6, 2) AS INTEGER) <= 2 THEN 1 ELSE 0 END)"
    m = f"CAST(substr({text}, 6, 2) AS INTEGER)"
    doy = f"((153 * ({m} + CASE WHEN {m} > 2 THEN -3 ELSE 9 END) + 2) / 5 + CAST(substr({text}, 9, 2) AS INTEGER) - 1)"
    yoe = f"({y} - ({y} / 400) * 400)"
    days = f"(({y} / 400) * 146097 + {yoe} * 365 + {yoe} / 4 - {yoe} / 100 + {doy} - 719468)"
    clock = (f"CAST(substr({text}, 12, 2) AS INTEGER) * 3600 + CAST(substr({text}, 15, 2) AS INTEGER) * 60 "
             f"+ CAST(substr({text}, 18, 2) AS INTEGER)")
    canonical = (f"length({text}) = 20 AND substr({text}, 5, 1) = '-' AND substr({text}, 8, 1) = '-' "
                 f"AND substr({text}, 11, 1) = 'T' AND substr({text}, 14, 1) = ':' AND substr({text}, 17, 1) = ':' "
                 f"AND substr({text}, 20, 1) = 'Z' AND substr({text}, 1, 4) >= '0400'")
    return f"CASE WHEN {canonical} THEN {days} * 86400 + {clock} END"


#: The messages of a ticket in conversation order, each with the number of our replies before it (k): the
#: customer's messages with k replies before them are the wait that our (k+1)-th reply answers.
_IN_ORDER = """SELECT id, ticket_id, direction, flag, created_at, author,
        sum(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) OVER (PARTITION BY ticket_id ORDER BY created_at, id
            ROWS UNBOUNDED PRECEDING) - CASE WHEN direction = 'out' THEN 1 ELSE 0 END AS k,
        sum(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) OVER (PARTITION BY ticket_id) AS outs
    FROM messages WHERE direction IN ('in', 'out'){where}"""


def _waits_of(where: str) -> str:
    """INSERT … SELECT of the answered waits of the tickets ``where`` picks (``""``: all of them)."""
    seconds = f"{_epoch('o.created_at')} - {_epoch('b.began')}"
    return f"""INSERT INTO reply_waits (message_id, ticket_id, began, answered_at, author, first_reply, seconds)
SELECT o.id, o.ticket_id, b.began, o.created_at, o.author, CASE WHEN o.k = 0 THEN 1 ELSE 0 END, {seconds}
FROM ({_IN_ORDER.format(where=where)}) o
JOIN (SELECT i.ticket_id, i.k, min(i.created_at) AS began FROM ({_IN_ORDER.format(where=where)}) i
      WHERE i.direction = 'in' AND i.flag IS NOT 'thanks' GROUP BY i.ticket_id, i.k) b
  ON b.ticket_id = o.ticket_id AND b.k = o.k
WHERE o.direction = 'out'"""


def _open_of(where: str) -> str:
    """INSERT … SELECT of the open wait (the customer's first message after our last reply) of the tickets
    ``where`` picks: the wait the replay is left with when the messages run out."""
    return f"""INSERT INTO reply_open (ticket_id, began)
SELECT i.ticket_id, min(i.created_at) FROM ({_IN_ORDER.format(where=where)}) i
WHERE i.direction = 'in' AND i.flag IS NOT 'thanks' AND i.k = i.outs GROUP BY i.ticket_id"""


V7_REPLY = f"""
-- BEGIN V7REPLY
-- The Review's reply-target figures from the answered waits, kept by triggers (issue 16: at 1,000,000
-- tickets the Review read every message of every ticket with a message in the quarter and replayed the
-- waits in Python, 4 s). One row per reply of ours that answered a wait: the wait began at the customer's
-- first message after our previous reply (a thank-you waits for nothing) and ended at this reply;
-- first_reply = no reply of ours before it (the first-reply target applies, else the next-reply one);
-- seconds = the time on the clock (NULL: a time not written as clock.FORMAT). Conversation order is
-- (created_at, id), as the replay's. What the ticket is (category, priority, merged) and the targets are
-- read with the figures: they change without touching the messages. Any write that can change a ticket's
-- waits (a message added before one of our replies or being ours, deleted, moved to another ticket by a
-- merge or split, its time, direction, flag or author changed) computes that ticket's waits again from its
-- messages (a handful of rows); a customer's message added after our last reply answers nothing and
-- changes nothing here. Filled here for the existing messages.
CREATE TABLE reply_waits (
    message_id  INTEGER PRIMARY KEY,       -- our reply that answered the wait
    ticket_id   INTEGER NOT NULL,
    began       TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    author      TEXT,
    first_reply INTEGER NOT NULL,
    seconds     INTEGER
);
CREATE INDEX reply_waits_answered ON reply_waits(answered_at, ticket_id, first_reply, seconds, author, began);
CREATE INDEX reply_waits_ticket ON reply_waits(ticket_id);
-- The wait still open on each ticket, in the same order: tickets.waiting_since (schema 4) is the same wait
-- except when a customer's message has the very second of our last reply (waiting_since counts only
-- messages after that second; the conversation's order puts the later id after the reply). A customer's
-- message after our last reply opens it (or is part of it); any other write computes it again.
CREATE TABLE reply_open (
    ticket_id INTEGER PRIMARY KEY,
    began     TEXT NOT NULL
);
CREATE INDEX reply_open_began ON reply_open(began);
CREATE TRIGGER reply_open_append AFTER INSERT ON messages
WHEN NEW.direction = 'in' AND NEW.flag IS NOT 'thanks' AND NOT EXISTS (SELECT 1 FROM messages m
     WHERE m.ticket_id = NEW.ticket_id AND m.direction = 'out'
       AND (m.created_at > NEW.created_at OR (m.created_at = NEW.created_at AND m.id > NEW.id))) BEGIN
INSERT INTO reply_open (ticket_id, began) VALUES (NEW.ticket_id, NEW.created_at)
ON CONFLICT (ticket_id) DO UPDATE SET began = CASE WHEN excluded.began < reply_open.began THEN excluded.began
                                                   ELSE reply_open.began END;
END;
CREATE TRIGGER reply_waits_insert AFTER INSERT ON messages
WHEN NEW.direction = 'out' OR (NEW.direction = 'in' AND EXISTS (SELECT 1 FROM messages m
     WHERE m.ticket_id = NEW.ticket_id AND m.direction = 'out'
       AND (m.created_at > NEW.created_at OR (m.created_at = NEW.created_at AND m.id > NEW.id)))) BEGIN
DELETE FROM reply_waits WHERE ticket_id = NEW.ticket_id;
{_waits_of(" AND ticket_id = NEW.ticket_id")};
DELETE FROM reply_open WHERE ticket_id = NEW.ticket_id;
{_open_of(" AND ticket_id = NEW.ticket_id")};
END;
CREATE TRIGGER reply_waits_delete AFTER DELETE ON messages WHEN OLD.direction IN ('in', 'out') BEGIN
DELETE FROM reply_waits WHERE ticket_id = OLD.ticket_id;
{_waits_of(" AND ticket_id = OLD.ticket_id")};
DELETE FROM reply_open WHERE ticket_id = OLD.ticket_id;
{_open_of(" AND ticket_id = OLD.ticket_id")};
END;
CREATE TRIGGER reply_waits_update AFTER UPDATE OF id, ticket_id, direction, created_at, flag, author ON messages
BEGIN
DELETE FROM reply_waits WHERE ticket_id IN (OLD.ticket_id, NEW.ticket_id);
{_waits_of(" AND ticket_id IN (OLD.ticket_id, NEW.ticket_id)")};
DELETE FROM reply_open WHERE ticket_id IN (OLD.ticket_id, NEW.ticket_id);
{_open_of(" AND ticket_id IN (OLD.ticket_id, NEW.ticket_id)")};
END;
{_waits_of("")};
{_open_of("")};
-- END V7REPLY
"""

V7 = V7_RESOL + V7_REPLY

#: Characters of a ticket's first customer message that the themes read (insights/themes.py BODY_CHARS).
THEME_BODY_CHARS = 400


def theme_texts_select(condition: str) -> str:
    """What theme_texts keeps of the tickets that ``condition`` picks (``t`` is the ticket), read from the
    rows: id, subject, and its first customer message in conversation order (created_at, id, its first
    THEME_BODY_CHARS characters), NULLs when it has none. The themes read it so for a ticket the kept table
    lacks (a trigger dropped by another tool)."""
    return (f"SELECT t.id, t.subject, m.created_at, m.id, substr(m.body, 1, {THEME_BODY_CHARS}) FROM tickets t\n"
            "LEFT JOIN messages m ON m.id = (SELECT f.id FROM messages f WHERE f.ticket_id = t.id AND f.direction = 'in'\n"
            f"                               ORDER BY f.created_at, f.id LIMIT 1){condition}")


def _theme_texts_of(condition: str) -> str:
    """The theme_texts rows of the tickets that ``condition`` picks (see :func:`theme_texts_select`)."""
    return "INSERT INTO theme_texts (ticket_id, subject, first_at, first_id, body)\n" + theme_texts_select(condition)


V8_THEMES = f"""
-- BEGIN V8THEMES
-- The Review's themes read each counted ticket's subject and the start of its first customer message
-- (insights/themes.py; issue 16: about 30,000 tickets a quarter at 1,000,000, and finding each one's first
-- customer message among its messages cost more than the rest of the read). Kept here by triggers, one
-- narrow row per ticket, so the Review reads one row by key per ticket. Every write that can change which
-- message is first or what it says (a customer's message added, deleted, moved to another ticket by a merge
-- or split, its time, direction or body changed) or the subject computes the ticket's row again; a
-- customer's message added after the first (the common case) changes nothing but a comparison. Filled
-- here for the existing tickets; the doctor fills it again when a trigger was missing (store/derived.py).
CREATE TABLE theme_texts (
    ticket_id INTEGER PRIMARY KEY,
    subject   TEXT NOT NULL,
    first_at  TEXT,          -- the first customer message: its time and id (conversation order) ...
    first_id  INTEGER,
    body      TEXT           -- ... and its first THEME_BODY_CHARS characters
);
CREATE TRIGGER theme_texts_ticket AFTER INSERT ON tickets BEGIN
DELETE FROM theme_texts WHERE ticket_id = NEW.id;
{_theme_texts_of(" WHERE t.id = NEW.id")};
END;
CREATE TRIGGER theme_texts_ticket_update AFTER UPDATE OF id, subject ON tickets BEGIN
DELETE FROM theme_texts WHERE ticket_id IN (OLD.id, NEW.id);
{_theme_texts_of(" WHERE t.id = NEW.id")};
END;
CREATE TRIGGER theme_texts_ticket_delete AFTER DELETE ON tickets BEGIN
DELETE FROM theme_texts WHERE ticket_id = OLD.id;
END;
CREATE TRIGGER theme_texts_message AFTER INSERT ON messages WHEN NEW.direction = 'in' BEGIN
UPDATE theme_texts SET first_at = NEW.created_at, first_id = NEW.id, body = substr(NEW.body, 1, {THEME_BODY_CHARS})
WHERE ticket_id = NEW.ticket_id
  AND (first_id IS NULL OR first_at > NEW.created_at OR (first_at = NEW.created_at AND first_id > NEW.id));
END;
CREATE TRIGGER theme_texts_message_delete AFTER DELETE ON messages WHEN OLD.direction = 'in' BEGIN
DELETE FROM theme_texts WHERE ticket_id = OLD.ticket_id;
{_theme_texts_of(" WHERE t.id = OLD.ticket_id")};
END;
CREATE TRIGGER theme_texts_message_update AFTER UPDATE OF id, ticket_id, direction, created_at, body ON messages
WHEN OLD.direction = 'in' OR NEW.direction = 'in' BEGIN
DELETE FROM theme_texts WHERE ticket_id IN (OLD.ticket_id, NEW.ticket_id);
{_theme_texts_of(" WHERE t.id IN (OLD.ticket_id, NEW.ticket_id)")};
END;
{_theme_texts_of("")};
-- END V8THEMES
"""


#: Does resolution r have a save-offer step / does version l.policy_version_id have one: read from the steps
#: (the fill) or from the kept sets of their ids (the triggers; see V8SAVES's header).
_SAVE_STEP = {"rows": "EXISTS (SELECT 1 FROM resolution_steps s WHERE s.resolution_id = r.id "
                      "AND s.type = 'save_offer')",
              "kept": "EXISTS (SELECT 1 FROM save_offer_steps s WHERE s.resolution_id = r.id)"}
_SAVE_VERSION = {"rows": "(SELECT p.policy_version_id FROM policy_steps p WHERE p.type = 'save_offer')",
                 "kept": "(SELECT p.policy_version_id FROM save_offer_versions p)"}


def _save_candidates_of(where: str, source: str = "kept") -> str:
    """INSERT … SELECT of the save offers' candidate row of each resolved ticket ``where`` picks (an SQL
    condition on ``l``, the tickets' resolutions); ``source`` "rows" reads the steps themselves (the fill),
    "kept" the kept sets (the triggers)."""
    return f"""INSERT INTO save_candidates (ticket_id, created_at, customer_id, subscription_id, cancellation,
    offered_at, actor, policy_version_id, offer_kind, offer_value)
SELECT t.id, t.created_at, t.customer_id, t.subscription_id, CASE WHEN t.category = 'cancellation' THEN 1 ELSE 0 END,
    g.offered_at, r.actor, r.policy_version_id, r.offer_kind, r.offer_value
FROM (SELECT l.ticket_id, max(l.id) AS latest,
             max(CASE WHEN l.offer_value IS NOT NULL OR l.policy_version_id IN {_SAVE_VERSION[source]}
                 THEN l.resolved_at END) AS offered_at
      FROM resolutions l WHERE {where} GROUP BY l.ticket_id) g
JOIN tickets t ON t.id = g.ticket_id
JOIN resolutions r ON r.id = g.latest
WHERE t.merged_into IS NULL AND t.customer_id IS NOT NULL
  AND (t.category = 'cancellation' OR r.offer_value IS NOT NULL OR {_SAVE_STEP[source]})"""


def _save_recompute(tickets: str) -> str:
    """The statements that compute again the candidate row of the tickets ``tickets`` (an SQL list)."""
    return (f"DELETE FROM save_candidates WHERE ticket_id IN ({tickets});\n"
            f"{_save_candidates_of(f'l.ticket_id IN ({tickets})')};")


def _save_set(table: str, key: str, steps: str, ids: str) -> str:
    """The statements that compute again which of the ids ``ids`` have a save-offer step in ``steps``."""
    return (f"DELETE FROM {table} WHERE {key} IN ({ids});\n"
            f"INSERT INTO {table} ({key}) SELECT DISTINCT {key} FROM {steps} "
            f"WHERE {key} IN ({ids}) AND type = 'save_offer';")


V8_SAVES = f"""
-- BEGIN V8SAVES
-- The save offers' candidates (insights/saves.py, docs/INSIGHTS.md "Save offers") kept per ticket by triggers
-- (issue 16: at 1,000,000 tickets the Review read the ~196,000 resolutions since the quarter began and each
-- candidate's latest resolution and steps, ~700 ms of SQL). One row per resolved ticket that counts whatever
-- the period (not merged, with a customer, and a cancellation ticket or one whose latest resolution recorded
-- an offer or a save-offer step), with what the read needs: its opening time and customer, its subscription
-- stamp (tickets.subscription_id, copied; NULL = not stamped, the read computes it), its latest resolution's
-- person, policy version and offer, and offered_at, the latest time one of its resolutions made an offer or
-- came from a version with a save-offer step (the read keeps a non-cancellation ticket only when that is in
-- or after the period, as the query over resolutions did). Kept vs read: the period, the window, `now` and the
-- subscriptions (which change without touching tickets) are read with the figures; unresolved cancellation
-- tickets are read from tickets_category_created (no trigger on inserting a ticket: any makes every ticket
-- insert slower, schema 4's F3). Every write that can change a ticket's row computes it again from the rows
-- (a handful): a resolution or its save-offer step added, changed or deleted, the ticket's category, merge,
-- customer, opening time or id changed, a version's save-offer step added or removed; a stamp change is
-- copied. The triggers of resolutions and tickets read which resolutions and versions have a save-offer step
-- from two kept sets of ids, not from the steps' tables: a trigger naming another table makes SQLite refuse
-- to rename a rebuilt copy of that table into place (a DB browser's "modify table" of resolution_steps). The
-- fill reads the steps themselves (the doctor may refill the candidates before the sets). Filled here.
CREATE TABLE save_offer_steps (resolution_id INTEGER PRIMARY KEY);         -- resolutions with a save-offer step
CREATE TABLE save_offer_versions (policy_version_id INTEGER PRIMARY KEY);  -- versions with a save-offer step
INSERT INTO save_offer_steps (resolution_id)
SELECT DISTINCT resolution_id FROM resolution_steps WHERE type = 'save_offer';
INSERT INTO save_offer_versions (policy_version_id)
SELECT DISTINCT policy_version_id FROM policy_steps WHERE type = 'save_offer';
CREATE TABLE save_candidates (
    ticket_id         INTEGER PRIMARY KEY,
    created_at        TEXT NOT NULL,
    customer_id       INTEGER NOT NULL,
    subscription_id   INTEGER,
    cancellation      INTEGER NOT NULL,   -- 1: category cancellation (counts whatever its resolutions say)
    offered_at        TEXT,               -- the latest resolution with an offer or a save-offer version
    actor             TEXT,
    policy_version_id INTEGER,
    offer_kind        TEXT,
    offer_value       REAL
);
CREATE INDEX save_candidates_created ON save_candidates(created_at, customer_id, cancellation, offered_at,
    subscription_id, actor, policy_version_id, offer_kind, offer_value);
CREATE TRIGGER save_candidates_resolution_insert AFTER INSERT ON resolutions BEGIN
{_save_recompute("NEW.ticket_id")}
END;
CREATE TRIGGER save_candidates_resolution_update AFTER UPDATE ON resolutions BEGIN
{_save_recompute("OLD.ticket_id, NEW.ticket_id")}
END;
CREATE TRIGGER save_candidates_resolution_delete AFTER DELETE ON resolutions BEGIN
DELETE FROM save_offer_steps WHERE resolution_id = OLD.id;
{_save_recompute("OLD.ticket_id")}
END;
CREATE TRIGGER save_offer_steps_insert AFTER INSERT ON resolution_steps WHEN NEW.type = 'save_offer' BEGIN
{_save_set("save_offer_steps", "resolution_id", "resolution_steps", "NEW.resolution_id")}
{_save_recompute("SELECT ticket_id FROM resolutions WHERE id = NEW.resolution_id")}
END;
CREATE TRIGGER save_offer_steps_update AFTER UPDATE OF resolution_id, type ON resolution_steps
WHEN OLD.type = 'save_offer' OR NEW.type = 'save_offer' BEGIN
{_save_set("save_offer_steps", "resolution_id", "resolution_steps", "OLD.resolution_id, NEW.resolution_id")}
{_save_recompute("SELECT ticket_id FROM resolutions WHERE id IN (OLD.resolution_id, NEW.resolution_id)")}
END;
CREATE TRIGGER save_offer_steps_delete AFTER DELETE ON resolution_steps WHEN OLD.type = 'save_offer' BEGIN
{_save_set("save_offer_steps", "resolution_id", "resolution_steps", "OLD.resolution_id")}
{_save_recompute("SELECT ticket_id FROM resolutions WHERE id = OLD.resolution_id")}
END;
CREATE TRIGGER save_offer_versions_insert AFTER INSERT ON policy_steps WHEN NEW.type = 'save_offer' BEGIN
{_save_set("save_offer_versions", "policy_version_id", "policy_steps", "NEW.policy_version_id")}
{_save_recompute("SELECT ticket_id FROM resolutions WHERE policy_version_id = NEW.policy_version_id")}
END;
CREATE TRIGGER save_offer_versions_delete AFTER DELETE ON policy_steps WHEN OLD.type = 'save_offer' BEGIN
{_save_set("save_offer_versions", "policy_version_id", "policy_steps", "OLD.policy_version_id")}
{_save_recompute("SELECT ticket_id FROM resolutions WHERE policy_version_id = OLD.policy_version_id")}
END;
CREATE TRIGGER save_candidates_ticket_edit AFTER UPDATE OF id, category, merged_into, customer_id, created_at ON tickets
BEGIN
{_save_recompute("OLD.id, NEW.id")}
END;
CREATE TRIGGER save_candidates_ticket_stamp AFTER UPDATE OF subscription_id ON tickets BEGIN
UPDATE save_candidates SET subscription_id = NEW.subscription_id WHERE ticket_id = NEW.id;
END;
CREATE TRIGGER save_candidates_ticket_delete AFTER DELETE ON tickets BEGIN
DELETE FROM save_candidates WHERE ticket_id = OLD.id;
END;
{_save_candidates_of("1 = 1", "rows")};
-- END V8SAVES
"""

#: The save offers' candidates of the tickets whose ids lie in a range (two parameters, low and high) computed
#: again, for a writer that inserts tickets after their resolutions: a batched import on SQLite
#: (importers/write_batch.py) writes a file's tickets last, so their resolutions' triggers found no ticket, and
#: no trigger runs on a ticket's insert (F3).
SAVE_CANDIDATES_OF_RANGE = ("DELETE FROM save_candidates WHERE ticket_id BETWEEN ? AND ?",
                            _save_candidates_of("l.ticket_id BETWEEN ? AND ?"))

#: What a wait needs of its ticket, read from the ticket itself (``t``): live = counted (not merged away).
_KIND_OF_TICKET = "SELECT t.category, t.priority, CASE WHEN t.merged_into IS NULL THEN 1 ELSE 0 END FROM tickets t"
#: What an open wait needs of its ticket: waiting = 1 while it is unresolved and not merged away.
_OPEN_KIND = "(category, priority, assignee, replied, waiting)"
_OPEN_OF_TICKET = ("SELECT t.category, t.priority, t.assignee, CASE WHEN t.replied_at IS NULL THEN 0 ELSE 1 END, "
                   "CASE WHEN t.merged_into IS NULL AND t.status <> 'resolved' THEN 1 ELSE 0 END FROM tickets t")
V8_REPLY = f"""
-- BEGIN V8REPLY
-- Reply targets at 1,000,000 tickets (issue 16): the period's ~250,000 answered waits were each joined to
-- their ticket for its category, priority and merged_into (a random read of tickets per wait, 610 ms) and
-- sorted to be grouped. Each wait now carries a copy of them: category, priority, and live = 1 while the
-- ticket is there and not merged into another (NULL: no such ticket; such a wait is not counted, as the
-- join left it out). A wait written (by the message triggers of V7REPLY, the upgrade or the doctor's
-- refill) reads them from its ticket; a ticket's edit of category or priority, its merge and undo, and an
-- import writing the ticket after its messages copy them onto its waits (a deleted ticket's: live NULL). reply_waits_figures holds the
-- live waits in the order the Review counts them (author, kind, first reply, then time), with every column
-- it reads: each (author, category, priority, first reply) is one index range of the period, no sort.
-- (live leads it rather than a partial index's WHERE: SQLite counts a partial index covering only when
-- it holds the columns of that WHERE too.) The same for the open waits (reply_open), which were each
-- joined to their ticket for its kind, assignee, first reply or not, status and merge (~95,000 a quarter,
-- most of resolved tickets): they carry category, priority, assignee, replied (1: tickets.replied_at is
-- set) and waiting (1: unresolved, not merged; NULL: no such ticket), and reply_open_due holds the waiting
-- ones by the time they began with every column the Review reads.
ALTER TABLE reply_waits ADD COLUMN category TEXT;
ALTER TABLE reply_waits ADD COLUMN priority INTEGER;
ALTER TABLE reply_waits ADD COLUMN live INTEGER;
UPDATE reply_waits SET (category, priority, live) = ({_KIND_OF_TICKET} WHERE t.id = reply_waits.ticket_id);
DROP INDEX reply_waits_answered;
CREATE INDEX reply_waits_figures
ON reply_waits(live, author, category, priority, first_reply, answered_at, seconds, began);
ALTER TABLE reply_open ADD COLUMN category TEXT;
ALTER TABLE reply_open ADD COLUMN priority INTEGER;
ALTER TABLE reply_open ADD COLUMN assignee TEXT;
ALTER TABLE reply_open ADD COLUMN replied INTEGER;
ALTER TABLE reply_open ADD COLUMN waiting INTEGER;
UPDATE reply_open SET {_OPEN_KIND} = ({_OPEN_OF_TICKET} WHERE t.id = reply_open.ticket_id);
CREATE INDEX reply_open_due ON reply_open(waiting, began, category, priority, replied, assignee);
CREATE TRIGGER reply_open_kind AFTER INSERT ON reply_open BEGIN
UPDATE reply_open SET {_OPEN_KIND} = ({_OPEN_OF_TICKET} WHERE t.id = NEW.ticket_id) WHERE ticket_id = NEW.ticket_id;
END;
CREATE TRIGGER reply_open_ticket_kind AFTER UPDATE OF id, category, priority, assignee, replied_at, status, merged_into ON tickets
WHEN NEW.id IS NOT OLD.id OR NEW.category IS NOT OLD.category OR NEW.priority IS NOT OLD.priority
  OR NEW.assignee IS NOT OLD.assignee OR (NEW.replied_at IS NULL) <> (OLD.replied_at IS NULL)
  OR NEW.status IS NOT OLD.status OR (NEW.merged_into IS NULL) <> (OLD.merged_into IS NULL) BEGIN
UPDATE reply_open SET {_OPEN_KIND} = ({_OPEN_OF_TICKET} WHERE t.id = reply_open.ticket_id)
WHERE ticket_id IN (OLD.id, NEW.id);
END;
CREATE TRIGGER reply_waits_kind AFTER INSERT ON reply_waits BEGIN
UPDATE reply_waits SET (category, priority, live) = ({_KIND_OF_TICKET} WHERE t.id = NEW.ticket_id)
WHERE message_id = NEW.message_id;
END;
CREATE TRIGGER reply_waits_ticket_kind AFTER UPDATE OF id, category, priority, merged_into ON tickets
WHEN NEW.id IS NOT OLD.id OR NEW.category IS NOT OLD.category OR NEW.priority IS NOT OLD.priority
  OR (NEW.merged_into IS NULL) <> (OLD.merged_into IS NULL) BEGIN
UPDATE reply_waits SET (category, priority, live) = ({_KIND_OF_TICKET} WHERE t.id = reply_waits.ticket_id)
WHERE ticket_id IN (OLD.id, NEW.id);
END;
CREATE TRIGGER reply_waits_ticket_new AFTER INSERT ON tickets BEGIN
UPDATE reply_waits SET (category, priority, live) = ({_KIND_OF_TICKET} WHERE t.id = reply_waits.ticket_id)
WHERE ticket_id = NEW.id;
UPDATE reply_open SET {_OPEN_KIND} = ({_OPEN_OF_TICKET} WHERE t.id = reply_open.ticket_id) WHERE ticket_id = NEW.id;
END;
CREATE TRIGGER reply_waits_ticket_gone AFTER DELETE ON tickets BEGIN
UPDATE reply_waits SET live = NULL WHERE ticket_id = OLD.id;
UPDATE reply_open SET waiting = NULL WHERE ticket_id = OLD.id;
END;
-- END V8REPLY
"""

V8_CHURN = f"""
-- BEGIN V8CHURN
-- The cycle-1 churn's facts of each customer's first ticket, kept by triggers (issue 16: at 1,000,000
-- tickets the Review looked up, per first ticket of the quarter (~64,000), the ticket, its latest
-- resolution, its subscription and the subscriptions in force at the deadline: ~550 ms). One row per
-- customer whose first ticket (customers.first_ticket_*, kept by the code that writes tickets) exists:
-- that ticket's time and billing cycle, the subscription in force when it was opened (billing.in_force_id)
-- with its cancellation, how many other subscriptions the customer has, and whether its latest resolution
-- was a recovery (schema_churn.churn_rows). What depends on the window (the subscriptions in force at its
-- end) is read, only for the few cancelled within it who have another subscription. Any write that can
-- change a customer's row computes that customer's row again: their first ticket chosen anew, that
-- ticket's customer, time, cycle or stamp changed, a resolution of it added, moved or deleted, a
-- subscription of theirs added, changed or deleted (schema 4's triggers then restamp the tickets, which
-- computes the row again with the new stamp, in whatever order the triggers run). No trigger on inserting
-- a ticket (schema 4's F3: every ticket insert would pay); a new first ticket is written to customers,
-- which computes the row. Filled here for the existing customers.
CREATE TABLE churn_firsts (
    customer_id     INTEGER PRIMARY KEY,
    first_ticket_at TEXT NOT NULL,   -- customers.first_ticket_at (the population's period)
    ticket_id       INTEGER NOT NULL,
    created_at      TEXT NOT NULL,   -- the ticket's (the window starts here)
    billing_cycle   INTEGER,
    subscription_id INTEGER,         -- in force at created_at; NULL: none
    cancelled_at    TEXT,            -- that subscription's
    others          INTEGER NOT NULL, -- the customer's other subscriptions (0: no need to look at the end)
    recovered       INTEGER NOT NULL -- 1: the latest resolution followed a policy, no step skipped
);
CREATE INDEX churn_firsts_period ON churn_firsts(first_ticket_at, customer_id, ticket_id, created_at,
    billing_cycle, subscription_id, cancelled_at, others, recovered);
CREATE INDEX churn_firsts_ticket ON churn_firsts(ticket_id);
CREATE TRIGGER churn_firsts_customer_insert AFTER INSERT ON customers WHEN NEW.first_ticket_id IS NOT NULL BEGIN
{_refresh("(NEW.id)")}
END;
CREATE TRIGGER churn_firsts_customer_update AFTER UPDATE OF id, first_ticket_at, first_ticket_id ON customers
WHEN NEW.id IS NOT OLD.id OR NEW.first_ticket_at IS NOT OLD.first_ticket_at
     OR NEW.first_ticket_id IS NOT OLD.first_ticket_id BEGIN
{_refresh("(OLD.id, NEW.id)")}
END;
CREATE TRIGGER churn_firsts_customer_delete AFTER DELETE ON customers BEGIN
DELETE FROM churn_firsts WHERE customer_id = OLD.id;
END;
CREATE TRIGGER churn_firsts_ticket AFTER UPDATE OF customer_id, created_at, billing_cycle, subscription_id ON tickets
WHEN (NEW.customer_id IS NOT OLD.customer_id OR NEW.created_at IS NOT OLD.created_at
      OR NEW.billing_cycle IS NOT OLD.billing_cycle OR NEW.subscription_id IS NOT OLD.subscription_id)
     AND EXISTS (SELECT 1 FROM churn_firsts WHERE ticket_id = NEW.id) BEGIN
{_recompute("ticket_id = NEW.id")};
END;
CREATE TRIGGER churn_firsts_ticket_gone AFTER DELETE ON tickets BEGIN
DELETE FROM churn_firsts WHERE ticket_id = OLD.id;
END;
CREATE TRIGGER churn_firsts_resolution_insert AFTER INSERT ON resolutions
WHEN EXISTS (SELECT 1 FROM churn_firsts WHERE ticket_id = NEW.ticket_id) BEGIN
{_recompute("ticket_id = NEW.ticket_id")};
END;
CREATE TRIGGER churn_firsts_resolution_update AFTER UPDATE OF ticket_id, policy_version_id, steps_skipped ON resolutions
WHEN EXISTS (SELECT 1 FROM churn_firsts WHERE ticket_id IN (OLD.ticket_id, NEW.ticket_id)) BEGIN
{_recompute("ticket_id IN (OLD.ticket_id, NEW.ticket_id)")};
END;
CREATE TRIGGER churn_firsts_resolution_delete AFTER DELETE ON resolutions
WHEN EXISTS (SELECT 1 FROM churn_firsts WHERE ticket_id = OLD.ticket_id) BEGIN
{_recompute("ticket_id = OLD.ticket_id")};
END;
CREATE TRIGGER churn_firsts_subscription_insert AFTER INSERT ON subscriptions BEGIN
{_recompute("customer_id = NEW.customer_id")};
END;
CREATE TRIGGER churn_firsts_subscription_update AFTER UPDATE OF customer_id, started_at, cancelled_at ON subscriptions
WHEN NEW.customer_id IS NOT OLD.customer_id OR NEW.started_at IS NOT OLD.started_at
     OR NEW.cancelled_at IS NOT OLD.cancelled_at BEGIN
{_recompute("customer_id IN (OLD.customer_id, NEW.customer_id)")};
END;
CREATE TRIGGER churn_firsts_subscription_delete AFTER DELETE ON subscriptions BEGIN
{_recompute("customer_id = OLD.customer_id")};
END;
{_churn_rows("1 = 1")};
-- END V8CHURN
"""
V8_MONEY = f"""
-- BEGIN V8MONEY
-- Schema 7's money of recovery summed again from the rows: until schema 8 a batched import on SQLite
-- (importers/write_batch.py) wrote a file's tickets after their resolutions, so review_money_days_add found no
-- ticket and added nothing for them (the import now adds their money itself: MONEY_OF_TICKET_RANGE). The
-- same statement as V7RESOL's fill, on emptied sums.
DELETE FROM review_money_days;
{_MONEY_FILL};
-- END V8MONEY
"""
V8 = V8_THEMES + V8_SAVES + V8_REPLY + V8_CHURN + V8_MONEY

#: Index = schema version reached by running that script.
SCRIPTS: dict[int, str] = {1: V1, 2: V2, 3: V3, 4: V4, 5: V5, 6: V6, 7: V7, 8: V8}
CURRENT_VERSION = max(SCRIPTS)
