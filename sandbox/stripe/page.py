"""The stand-in's hosted-checkout-like page: what the customer sees at the session `url`."""

from __future__ import annotations

from html import escape

from sandbox.stripe.state import ZERO_DECIMAL


def money(amount: int, currency: str) -> str:
    if currency in ZERO_DECIMAL:
        return f"{amount:,} {currency.upper()}"
    return f"{amount / 100:,.2f} {currency.upper()}"


def checkout_page(session: dict, lines: list[dict]) -> str:
    sid = escape(session["id"])
    rows = "".join(
        f"<tr><td>{escape(str(line['description']))}</td><td>{line['quantity']}</td>"
        f"<td class='num'>{money(line['amount_total'], session['currency'])}</td></tr>"
        for line in lines
    )
    if session["status"] == "open":
        action = (
            f"<form method='post' action='/c/pay/{sid}'>"
            f"<label>Email <input type='email' name='email' id='email' data-testid='standin-email' "
            f"value='{escape(session.get('customer_email') or 'customer@example.com')}'></label>"
            f"<label>Card <input name='card' id='card' value='4242 4242 4242 4242' readonly></label>"
            f"<button type='submit' id='stripe-pay' data-testid='standin-pay'>Pay "
            f"{money(session['amount_total'], session['currency'])}</button></form>"
        )
    else:
        action = f"<p id='stripe-status' data-testid='standin-status'>This checkout is {escape(session['status'])}.</p>"
    cancel = ""
    if session.get("cancel_url") and session["status"] == "open":
        cancel = (f"<p><a id='stripe-cancel' data-testid='standin-cancel' href='{escape(session['cancel_url'])}'>"
                  "&larr; Back (cancel payment)</a></p>")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Checkout (Stripe stand-in)</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;color:#1a1f36}}
.badge{{background:#ffde92;padding:.2rem .5rem;border-radius:.3rem;font-size:.8rem}}
table{{width:100%;border-collapse:collapse;margin:1rem 0}}td{{padding:.4rem 0;border-bottom:1px solid #e3e8ee}}
.num{{text-align:right}}label{{display:block;margin:.6rem 0}}input{{width:100%;padding:.5rem}}
button{{width:100%;padding:.8rem;margin-top:1rem;background:#635bff;color:#fff;border:0;border-radius:.4rem;
font-size:1rem}}</style></head>
<body><p class="badge">TEST MODE · local Stripe stand-in</p>
<h1 data-testid="standin-total">{money(session['amount_total'], session['currency'])}</h1>
<table>{rows}</table>{action}{cancel}</body></html>"""
