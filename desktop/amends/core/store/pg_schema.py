"""The schema on PostgreSQL: the same versions as :mod:`schema`, translated (issue 19).

The SQLite scripts stay the one source of truth: each version's script is
translated statement by statement (types, identity keys, ``citext`` for
``COLLATE NOCASE``), and the few things with no mechanical translation
(full-text tables, triggers) have their PostgreSQL form written out here, by
name. A statement the translator does not know stops the upgrade with an
error naming it, so a new version (V4 …) cannot half-apply silently: add its
PostgreSQL form to :data:`OVERRIDES`.

The version lives in the ``amends_schema`` table (PostgreSQL has no
``user_version``). Times stay ISO 8601 text, as on SQLite, so that values
and exports are byte-for-byte the same on both backends.
"""

from __future__ import annotations

import re
from typing import Any

from amends.core.errors import DatabaseProblem
from amends.core.store.dialect import _strip_comments, to_postgres, trigger
from amends.core.store.schema import SCRIPTS

#: Run once, before version 1: extensions and the SQLite functions the
#: services' SQL uses (strftime with a day offset, group_concat).
PRELUDE = [
    "CREATE EXTENSION IF NOT EXISTS citext",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TABLE IF NOT EXISTS amends_schema (version INTEGER NOT NULL)",
    # Search (point 3): the words of a text as SQLite's FTS5 unicode61 tokenizer sees them
    # (lower case, diacritics removed, split at anything not a letter or digit), so that
    # the same query finds the same tickets on both backends.
    """CREATE OR REPLACE FUNCTION amends_words(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, coalesce(t, ''))),
                          '[^[:alnum:]]+', ' ', 'g')
$$""",
    # An FTS5 expression as core/query_syntax.fts_expression writes it ("a" "b c" "pre"*: every
    # term quoted, all required, the last maybe a prefix) as a tsquery: phrases with <->, prefix :*.
    r"""CREATE OR REPLACE FUNCTION amends_tsquery(expr text) RETURNS tsquery LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    m text[];
    words text[];
    q text;
    parts text[] := '{}';
BEGIN
    IF expr IS NULL THEN RETURN NULL; END IF;
    FOR m IN SELECT regexp_matches(expr, '"((?:[^"]|"")*)"(\*?)', 'g') LOOP
        words := array_remove(regexp_split_to_array(trim(amends_words(replace(m[1], '""', '"'))), ' '), '');
        IF coalesce(array_length(words, 1), 0) = 0 THEN CONTINUE; END IF;
        q := array_to_string(words, ' <-> ');
        IF m[2] = '*' THEN q := q || ':*'; END IF;
        parts := parts || ('(' || q || ')');
    END LOOP;
    IF coalesce(array_length(parts, 1), 0) = 0 THEN RETURN NULL; END IF;
    RETURN to_tsquery('simple', array_to_string(parts, ' & '));
END $$""",
    # from: (the trigram phrase "value") as an ILIKE pattern for the pg_trgm indexes
    r"""CREATE OR REPLACE FUNCTION amends_trgm(expr text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT '%' || replace(replace(replace(replace(
        CASE WHEN expr LIKE '"%"' THEN substr(expr, 2, length(expr) - 2) ELSE expr END,
        '""', '"'), '\', '\\'), '%', '\%'), '_', '\_') || '%'
$$""",
    """CREATE OR REPLACE FUNCTION strftime(fmt text, t text, modifier text DEFAULT '+0 days') RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF t IS NULL THEN RETURN NULL; END IF;
    IF fmt <> '%Y-%m-%dT%H:%M:%SZ' THEN
        RAISE EXCEPTION 'strftime format % is not supported on PostgreSQL', fmt;
    END IF;
    RETURN to_char((t::timestamptz + modifier::interval) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
END $$""",
    """CREATE OR REPLACE FUNCTION amends_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END $$""",
    # What services and other tools read of SQLite's catalogue (health's list of tables …)
    """CREATE OR REPLACE VIEW sqlite_master AS
    SELECT CASE WHEN table_type = 'VIEW' THEN 'view' ELSE 'table' END AS type, table_name::text AS name,
           table_name::text AS tbl_name
      FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'sqlite_master'
    UNION ALL SELECT 'index', indexname::text, tablename::text FROM pg_indexes WHERE schemaname = current_schema()
    UNION ALL SELECT DISTINCT 'trigger', trigger_name::text, event_object_table::text
      FROM information_schema.triggers WHERE trigger_schema = current_schema()""",
    # SQLite counts with sum(a = b); PostgreSQL's comparisons are booleans
    """CREATE OR REPLACE FUNCTION amends_sum_bool(acc bigint, value boolean) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN value IS NULL THEN acc ELSE coalesce(acc, 0) + value::int END $$""",
    "DROP AGGREGATE IF EXISTS sum(boolean)",
    "CREATE AGGREGATE sum(boolean) (SFUNC = amends_sum_bool, STYPE = bigint)",
    """CREATE OR REPLACE FUNCTION amends_avg_bool(acc float8[], value boolean) RETURNS float8[]
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN value IS NULL THEN acc ELSE ARRAY[acc[1] + value::int, acc[2] + 1] END $$""",
    """CREATE OR REPLACE FUNCTION amends_avg_bool_final(acc float8[]) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN acc[2] = 0 THEN NULL ELSE acc[1] / acc[2] END $$""",
    "DROP AGGREGATE IF EXISTS avg(boolean)",
    "CREATE AGGREGATE avg(boolean) (SFUNC = amends_avg_bool, STYPE = float8[], FINALFUNC = amends_avg_bool_final, "
    "INITCOND = '{0,0}')",
    "DROP AGGREGATE IF EXISTS group_concat(text, text)",
    """CREATE AGGREGATE group_concat(text, text) (SFUNC = amends_concat, STYPE = text)""",
]
PRELUDE.insert(-2, """CREATE OR REPLACE FUNCTION amends_concat(acc text, value text, sep text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN acc WHEN acc IS NULL THEN value ELSE acc || sep || value END
$$""")

#: Statements (by the name they create) whose PostgreSQL form is written by hand.
OVERRIDES: dict[str, list[str]] = {
    # FTS5 → a plain table with a generated tsvector and a GIN index; MATCH → @@ (store/dialect.py)
    "ticket_search": [
        """CREATE TABLE ticket_search (
    rowid   BIGINT PRIMARY KEY,
    subject TEXT,
    body    TEXT,
    document tsvector GENERATED ALWAYS AS
        (to_tsvector('simple', amends_words(subject) || ' ' || amends_words(body))) STORED
)""",
        "CREATE INDEX ticket_search_document ON ticket_search USING gin (document)",
    ],
    # the trigram table is a view of customers with a pg_trgm index: nothing to keep in step
    "customer_search": [
        "CREATE VIEW customer_search AS SELECT id AS rowid, email, name FROM customers",
        "CREATE INDEX customers_email_trgm ON customers USING gin (email gin_trgm_ops)",
        "CREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops)",
    ],
    "customers_search_insert": [],
    "customers_search_delete": [],
    "customers_search_update": [],
    "customer_search:rebuild": [],
    "attachments_release": [
        """CREATE OR REPLACE FUNCTION attachments_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF old.kept = 1 AND NOT EXISTS (SELECT 1 FROM attachments WHERE sha256 = old.sha256 AND kept = 1) THEN
        DELETE FROM attachment_contents WHERE sha256 = old.sha256;
    END IF;
    RETURN NULL;
END $$""",
        "CREATE TRIGGER attachments_release AFTER DELETE ON attachments FOR EACH ROW EXECUTE FUNCTION "
        "attachments_release()",
    ],
}

_CREATES = re.compile(r"^CREATE (?:UNIQUE )?(?:VIRTUAL )?(?:TABLE|INDEX|TRIGGER|VIEW) (\w+)", re.IGNORECASE)


_ROWID_TABLES = frozenset(name for script in SCRIPTS.values()
                          for name in re.findall(r"CREATE TABLE (\w+)\s*\(\s*id\s+INTEGER PRIMARY KEY\b", script))
_PLAIN_INDEX = re.compile(r"^(CREATE INDEX \w+ ON (\w+)\s*\()(.*)(\))(\s+WHERE\b.*)?$", re.DOTALL)


def _rowid_last(statement: str) -> str:
    """SQLite's every index ends with the table's rowid (= ``id``), so an index on
    (a) gives rows in (a, id) order, which keyset pages use; PostgreSQL's does not:
    the non-unique indexes of tables keyed by ``id`` get ``id`` appended."""
    match = _PLAIN_INDEX.match(statement)
    if match is None or match.group(2) not in _ROWID_TABLES:
        return statement
    head, _, columns, close, where = match.groups()
    if re.search(r"(^|,)\s*id\s*$", columns):
        return statement
    return f"{head}{columns}, id{close}{where or ''}"


def _types(statement: str) -> str:
    sql = re.sub(r"\bid(\s+)INTEGER PRIMARY KEY\b(?! *\()", r"id\1BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                 statement)
    sql = re.sub(r"\bTEXT( NOT NULL)?( UNIQUE)? COLLATE NOCASE", r"CITEXT\1\2", sql)
    sql = re.sub(r"\((\w+) COLLATE NOCASE\)", r"(lower(\1))", sql)
    sql = re.sub(r"\bINTEGER\b", "BIGINT", sql)
    sql = re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)
    sql = re.sub(r"\bBLOB\b", "BYTEA", sql)
    sql = re.sub(r"\)\s*WITHOUT ROWID", ")", sql)
    sql = re.sub(r"(\w+) GLOB '#\[0-9a-fA-F\](?:\[0-9a-fA-F\]){5}'", r"\1 ~ '^#[0-9a-fA-F]{6}$'", sql)
    return sql.rstrip(";").strip()


_ROW_TRIGGER = re.compile(
    r"CREATE TRIGGER (\w+) (BEFORE|AFTER) (INSERT|DELETE|UPDATE(?: OF [\w, ]+?)?) ON (\w+)\s*"
    r"(?:WHEN (.*?))?\s*BEGIN\s+(.*?)\s*END;?$", re.DOTALL | re.IGNORECASE)


def row_trigger(statement: str) -> list[str] | None:
    """A plain SQLite row trigger (``AFTER|BEFORE … ON t [WHEN c] BEGIN s; … END``) as a
    PL/pgSQL function and trigger: the condition and statements go through the
    same dialect as the services' SQL (``IS 'x'`` → ``IS NOT DISTINCT FROM`` …)."""
    match = _ROW_TRIGGER.match(_strip_comments(statement))
    if match is None:
        return None
    name, when, event, table, condition, body = match.groups()
    if "RAISE(" in body.upper():
        return None
    from amends.core.store.migrations import statements

    inner = [to_postgres(part).sql.replace("%%", "%") for part in statements(body)]
    code = "\n    ".join(part.rstrip(";") + ";" for part in inner)
    if condition:
        guard = to_postgres(f"SELECT 1 WHERE {condition}").sql.replace("%%", "%")[len("SELECT 1 WHERE "):]
        code = f"IF {guard} THEN\n    {code}\n    END IF;"
    # an AFTER trigger's result is ignored; a BEFORE trigger returning NULL would skip the row's change
    result = "NULL" if when.upper() == "AFTER" else ("OLD" if event.upper() == "DELETE" else "NEW")
    return [f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    {code}\n"
            f"    RETURN {result};\nEND $$",
            f"CREATE TRIGGER {name} {when} {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"]


#: A statement ending ``; -- SQLite only`` has no PostgreSQL form at all: a rebuild of an FTS5 table whose
#: PostgreSQL side (a tsvector and its GIN index) needs no change (schema V6SEARCH: prefix indexes).
_SQLITE_ONLY = re.compile(r";\s*--\s*SQLite only\s*$")


def translate(version: int) -> list[str]:
    """The PostgreSQL statements of one schema version."""
    from amends.core.store.migrations import statements  # the same splitter as SQLite's

    out: list[str] = []
    for raw in statements(SCRIPTS[version]):
        statement = _strip_comments(raw)
        if not statement or _SQLITE_ONLY.search(raw):
            continue
        if statement.startswith("INSERT INTO customer_search (customer_search)"):
            out += OVERRIDES["customer_search:rebuild"]
            continue
        created = _CREATES.match(statement)
        if created and created.group(1) in OVERRIDES:
            out += OVERRIDES[created.group(1)]
            continue
        translated = trigger(statement)
        if translated is not None:
            out.append(translated)
            continue
        row = row_trigger(statement) if statement.upper().startswith("CREATE TRIGGER") else None
        if row is not None:
            out += row
            continue
        if re.match(r"CREATE (VIRTUAL TABLE|TRIGGER)", statement):
            raise DatabaseProblem(f"Schema {version}: no PostgreSQL form for {statement.splitlines()[0]!r}",
                                  hint="Add it to amends.core.store.pg_schema.OVERRIDES.")
        if re.match(r"(UPDATE|INSERT|DELETE)\b", statement, re.IGNORECASE):  # data moves in a script
            out.append(to_postgres(statement).sql.replace("%%", "%"))
            continue
        out.append(_rowid_last(_types(statement)))
    return out


_CREATED = re.compile(r"^CREATE (?:OR REPLACE )?(?:UNIQUE )?(TABLE|INDEX|TRIGGER|VIEW) (?:IF NOT EXISTS )?(\w+)",
                      re.IGNORECASE)
#: the catalogue of the connection's schema: what the translated scripts create, by kind and name
_LIVE = """
SELECT 'table', c.relname::text, c.relname::text FROM pg_class c
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
UNION ALL SELECT 'view', c.relname::text, c.relname::text FROM pg_class c
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('v', 'm') AND c.relname <> 'sqlite_master'
UNION ALL SELECT 'index', i.relname::text, t.relname::text FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
 WHERE i.relnamespace = current_schema()::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
UNION ALL SELECT 'trigger', g.tgname::text, t.relname::text FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
 WHERE t.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal"""


def expected_objects(version: int) -> dict[tuple[str, str], str]:
    """(kind, name) → table of everything the translated scripts up to ``version`` create."""
    out: dict[tuple[str, str], str] = {}
    for number in range(1, version + 1):
        for statement in translate(number):
            dropped = re.match(r"^DROP (TABLE|INDEX|TRIGGER|VIEW) (?:IF EXISTS )?(\w+)", statement, re.IGNORECASE)
            if dropped:
                out.pop((dropped.group(1).lower(), dropped.group(2).lower()), None)
            created = _CREATED.match(statement)
            if created is None:
                continue
            kind, name = created.group(1).lower(), created.group(2).lower()
            table = re.search(r"\bON (\w+)", statement) if kind in ("index", "trigger") else None
            out[(kind, name)] = table.group(1).lower() if table else name
    return out


def drift(conn: object, version: int) -> list[tuple[str, str, str, str]]:
    """The server's schema against what ``version`` creates there, by name: (kind, name,
    change, table) for each object missing or not ours (columns and definitions are
    not compared on a server yet)."""
    want = expected_objects(version)
    live = {(str(kind), str(name).lower()): str(table).lower()
            for kind, name, table in conn.execute(_LIVE).fetchall()}  # type: ignore[attr-defined]
    out = [(kind, name, "missing", table) for (kind, name), table in want.items() if (kind, name) not in live]
    out += [(kind, name, "extra", table) for (kind, name), table in live.items()
            if (kind, name) not in want and not name.startswith("amends_")]
    return out


# -- who may change what (issue 19 point 4: S19SHARE) ---------------------------------------------
# All role SQL of Amends is here. Two kinds of role:
# * the OWNER: the role that created the database and runs the migrations (in practice a
#   dedicated `amends_owner` login, or the administrator); it owns every table and trigger.
# * APP_ROLE `amends_app`: NOLOGIN; the people's login roles (or one shared login role whose
#   sessions carry each person's display name) are made members of it (GRANT amends_app TO ada).
#   It may read and write the day's data, may only ADD to the history tables (no UPDATE, DELETE or
#   TRUNCATE there), and, not owning anything, cannot drop or disable the immutability triggers.
# The triggers hold for every role, the owner included; TRUNCATE, which skips row triggers, has
# statement triggers of its own on the history tables.

APP_ROLE = "amends_app"
#: Rows that are history: read and added to, never changed (their triggers say the same).
HISTORY_TABLES = {
    "policy_versions": "published policy versions are immutable",
    "policy_steps": "published policy versions are immutable",
    "audit_log": "the audit log is append-only",
}
#: Bumped when what :func:`access_statements` does changes: databases behind it get it again.
ACCESS_REVISION = 1


def truncate_triggers() -> list[str]:
    """TRUNCATE does not fire row triggers: forbid it on the history tables, for every role."""
    return [f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION amends_immutable('{message}')" for table, message in HISTORY_TABLES.items()]


def grant_statements() -> list[str]:
    """The app role's privileges on every table of this schema as it is now (run again after each
    migration, so a new version's tables are granted too)."""
    history = ", ".join(HISTORY_TABLES)
    return [f"""DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {APP_ROLE}', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO {APP_ROLE}', current_schema());
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', current_schema());
    REVOKE UPDATE, DELETE, TRUNCATE ON {history} FROM {APP_ROLE};
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON amends_schema, amends_access FROM {APP_ROLE};
END $$"""]


def ensure_app_role(raw: Any) -> str:  # a psycopg connection (psycopg is optional)
    """Create the app role if it is missing and this role may; return "" when it exists, else why not."""
    found = raw.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_ROLE,)).fetchone()
    if found is not None:
        return ""
    may = raw.execute("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user").fetchone()
    if not (may and may[0]):
        return (f"the role {APP_ROLE} does not exist and this role may not create it (ask the server's "
                f"administrator: CREATE ROLE {APP_ROLE} NOLOGIN; then open the database once as its owner)")
    import psycopg

    raw.execute("SAVEPOINT amends_app_role")
    try:
        raw.execute(f"CREATE ROLE {APP_ROLE} NOLOGIN")
    except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
        # roles are the cluster's: another database's first opening made it just now
        raw.execute("ROLLBACK TO SAVEPOINT amends_app_role")
    raw.execute("RELEASE SAVEPOINT amends_app_role")
    return ""
