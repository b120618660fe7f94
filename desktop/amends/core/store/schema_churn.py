"""The SQL of schema 8's kept first-ticket facts (V8CHURN, insights/churn.py): each customer's
first ticket with what the cycle-1 churn reads of it, in one row of ``churn_firsts``.

One expression computes a customer's row, the one insights/churn.py computed per first ticket at
read time in schema 7 (tests/core/churn_oracle.py): the upgrade fills the table with it, every
trigger computes the rows of the customers a write can change with it, and the doctor's refill
(store/derived.py) runs the upgrade's fill. Kept apart from schema.py so that its DDL stays short.
"""

from __future__ import annotations

from amends.core.billing import in_force_id, in_force_of_ticket

#: The columns of churn_firsts, in the order of :func:`churn_rows`' SELECT.
COLUMNS = ("customer_id, first_ticket_at, ticket_id, created_at, billing_cycle, subscription_id, cancelled_at, "
           "others, recovered")


def churn_rows(where: str) -> str:
    """``INSERT INTO churn_firsts … SELECT`` of the customers ``where`` (an SQL condition on ``c``,
    the customers; ``1 = 1``: all) picks. The subscription is the one in force at the first ticket
    (the ticket's stamp when it is still the customer's, else computed for the customer: a ticket
    moved to someone else stays the first ticket of the one it came from until their first ticket is
    written again); ``others`` counts the customer's other subscriptions (none: nothing else can be in
    force at the end of a window, so the churn need not look); ``recovered`` is the ticket's latest resolution (by id) having followed a policy
    with no step skipped, 0 when it has none."""
    return f"""INSERT INTO churn_firsts ({COLUMNS})
SELECT f.customer_id, f.first_ticket_at, f.ticket_id, f.created_at, f.billing_cycle, f.subscription_id,
       s.cancelled_at, (SELECT count(*) FROM subscriptions o WHERE o.customer_id = f.customer_id
                        AND o.id IS NOT f.subscription_id), f.recovered
FROM (SELECT c.id AS customer_id, c.first_ticket_at, t.id AS ticket_id, t.created_at, t.billing_cycle,
             CASE WHEN t.customer_id IS c.id THEN {in_force_of_ticket('t')}
                  ELSE {in_force_id('c.id', 't.created_at')} END AS subscription_id,
             coalesce((SELECT CASE WHEN r.policy_version_id IS NOT NULL AND r.steps_skipped = 0 THEN 1 ELSE 0 END
                       FROM resolutions r WHERE r.ticket_id = t.id ORDER BY r.id DESC LIMIT 1), 0) AS recovered
      FROM customers c JOIN tickets t ON t.id = c.first_ticket_id
      WHERE c.first_ticket_at IS NOT NULL AND ({where})) f
LEFT JOIN subscriptions s ON s.id = f.subscription_id"""


def refresh(customers: str) -> str:
    """The statements (for a trigger's body) computing again the rows of the customers whose ids
    ``customers`` lists (an SQL list or subquery, in parentheses): drop theirs, insert them anew."""
    return f"DELETE FROM churn_firsts WHERE customer_id IN {customers};\n{churn_rows(f'c.id IN {customers}')};"


def recompute(where: str) -> str:
    """An UPDATE computing again, from the ticket, its resolutions and the subscriptions, the rows of
    churn_firsts that ``where`` (an SQL condition on churn_firsts) picks: the same values as
    :func:`churn_rows`, without reading customers (the row's customer and first ticket are its own). The
    triggers on tickets, resolutions and subscriptions use it: a trigger of theirs naming customers would
    make another tool's rebuild of customers (create, copy, drop, rename) fail on the rename. A row whose
    ticket is gone is left alone: a ticket's delete cascades to its resolutions, whose trigger runs before the
    ticket's own (churn_firsts_ticket_gone drops the row), and its values would be NULL."""
    ticket = "(SELECT {column} FROM tickets t{join} WHERE t.id = churn_firsts.ticket_id{more})"
    sub = (f"CASE WHEN t.customer_id IS churn_firsts.customer_id THEN {in_force_of_ticket('t')} "
           f"ELSE {in_force_id('churn_firsts.customer_id', 't.created_at')} END")
    return f"""UPDATE churn_firsts SET created_at = {ticket.format(column="t.created_at", join="", more="")},
    billing_cycle = {ticket.format(column="t.billing_cycle", join="", more="")},
    subscription_id = {ticket.format(column=sub, join="", more="")},
    cancelled_at = {ticket.format(column="s.cancelled_at", join=" JOIN subscriptions s ON s.id = " + sub, more="")},
    others = {ticket.format(column="count(*)", join=" JOIN subscriptions o ON o.customer_id = churn_firsts.customer_id",
                            more=f" AND o.id IS NOT {sub}")},
    recovered = coalesce((SELECT CASE WHEN r.policy_version_id IS NOT NULL AND r.steps_skipped = 0 THEN 1 ELSE 0 END
                          FROM resolutions r WHERE r.ticket_id = churn_firsts.ticket_id ORDER BY r.id DESC LIMIT 1), 0)
WHERE ({where}) AND EXISTS (SELECT 1 FROM tickets t WHERE t.id = churn_firsts.ticket_id)"""
