"""The customer sidebar: who wrote, their subscriptions, past tickets and
offers, in a browser whose copy drops the invisible break opportunities,
foldable to an icon so a laptop keeps the width for the conversation."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTextBrowser, QToolButton, QVBoxLayout, QWidget

from amends import settings_schema as schema
from amends.core import customers, money, safe_html
from amends.core.vocabulary import OFFER_KINDS, category_name
from amends.ui.common import appearance, settings

#: An invisible break opportunity: where a long e-mail address may wrap
_BREAK = "\u200b"


def breakable_address(address: str) -> str:
    """An address that may wrap after "@" and after dots: the line breaker
    sees one long word in "hana.keller966@mail.example.com" and a 160 px
    panel cut it off behind a horizontal scroll bar (the 1,280 px screenshots)."""
    return address.replace("@", "@" + _BREAK).replace(".", "." + _BREAK)


class CustomerBrowser(QTextBrowser):
    """The customer sidebar's browser: a copy gives the text as it is, without
    the invisible break opportunities put into addresses."""

    def createMimeDataFromSelection(self):  # -> QMimeData
        # The base's own object, changed in place: a QMimeData made here in
        # Python and handed to the clipboard was freed twice at exit (a
        # segfault after the whole suite had passed).
        mime = super().createMimeDataFromSelection()
        html = mime.html() if mime.hasHtml() else None
        mime.setText(mime.text().replace(_BREAK, ""))
        if html is not None:
            mime.setHtml(html.replace(_BREAK, ""))
        return mime


class CustomerPanel(QWidget):
    """The customer sidebar, foldable to a strip with one icon (a 1,280 px
    laptop needs the width for the conversation). The state is remembered."""

    def __init__(self, browser: QTextBrowser, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerPanel")
        self.browser = browser
        self.toggle = QToolButton()
        self.toggle.setObjectName("customerToggle")
        self.toggle.setAutoRaise(True)
        self.toggle.setCheckable(True)
        self.toggle.setAccessibleName(self.tr("Show or fold the customer panel"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(browser, 1)
        self.toggle.toggled.connect(self.set_collapsed)
        self.set_collapsed(bool(settings.get(schema.CUSTOMER_COLLAPSED)))

    @property
    def collapsed(self) -> bool:
        return not self.browser.isVisibleTo(self)

    def set_collapsed(self, collapsed: bool) -> None:
        self.toggle.blockSignals(True)
        self.toggle.setChecked(collapsed)
        self.toggle.blockSignals(False)
        self.browser.setVisible(not collapsed)
        self.toggle.setIcon(appearance.icon("customer", self))
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly if collapsed
                                       else Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setText(self.tr("Customer ‹"))
        self.toggle.setToolTip(self.tr("Show the customer panel") if collapsed else self.tr("Fold to an icon"))
        if collapsed:
            self.setFixedWidth(self.toggle.sizeHint().width() + 4)
        else:
            self.setMinimumWidth(160)
            self.setMaximumWidth(16777215)
        settings.put(schema.CUSTOMER_COLLAPSED, collapsed)


def _status(sub: customers.Subscription) -> str:
    """'active (trialing)': ours, and the platform's word when it says more."""
    original = sub.status_original
    if original and original.lower() != sub.status:
        return f"{html.escape(sub.status)} ({html.escape(original)})"
    return html.escape(sub.status)


def _price(sub: customers.Subscription) -> str:
    return f" · {html.escape(money.label(sub.price_minor, sub.currency))}" if sub.price_minor is not None else ""


def profile_html(profile: customers.CustomerProfile | None) -> str:
    if profile is None:
        return "<p><i>No customer is linked to this ticket.</i></p>"
    e = html.escape
    name = safe_html.display_name(profile.name or profile.email)  # a name from mail: no bidi controls
    lines = [f"<h3>{e(name)}</h3><p>{e(breakable_address(safe_html.display_name(profile.email)))}</p>"]
    sub = profile.subscription
    if sub is None:
        lines.append("<p><i>No subscription.</i></p>")
    else:
        lines.append(
            f"<p><b>{e(sub.plan)}</b> · {_status(sub)}<br>{e(sub.interval.label())}{_price(sub)} since "
            f"{e(sub.started_at[:10])}"
            + (f"<br>cancelled {e(sub.cancelled_at[:10])}" if sub.cancelled_at else "")
            + f"<br><b>Now in billing cycle {profile.current_cycle}</b> · {profile.days_subscribed} days subscribed</p>")
        others = [s for s in profile.subscriptions if s.id != sub.id]
        if others:  # two boxes, or a cancelled one and a new one: all shown, none hidden
            lines.append("<p><b>Other subscriptions</b></p><ul>" + "".join(
                f"<li>{e(s.plan)} · {_status(s)}<br><small>{e(s.interval.label())}{_price(s)} since "
                f"{e(s.started_at[:10])}" + (f" · cancelled {e(s.cancelled_at[:10])}" if s.cancelled_at else "")
                + "</small></li>" for s in others) + "</ul>")
    if profile.tickets:
        lines.append("<p><b>Tickets</b></p><ul>")
        for past in profile.tickets:
            lines.append(f"<li>#{past.id} {e(past.subject)}<br><small>{e(past.created_at[:10])} · "
                         f"{e(category_name(past.category))} · {e(past.outcome)}</small></li>")
        lines.append("</ul>")
    if profile.offers:
        lines.append("<p><b>Offers received</b></p><ul>")
        for offer in profile.offers:
            flag = " ⚑ outside range" if offer.in_bounds is False else ""
            lines.append(f"<li>{offer.value:g} {e(OFFER_KINDS.get(offer.kind or '', offer.kind or ''))} · "
                         f"#{offer.ticket_id} · {e(offer.at[:10])}{flag}</li>")
        lines.append("</ul>")
    else:
        lines.append("<p><small>No offers received before.</small></p>")
    return "".join(lines)
