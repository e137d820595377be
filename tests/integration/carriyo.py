"""Carriyo-shaped request bodies for the parity tests (fact sheet §4.1)."""


def carriyo_order(ref, merchant="ACCOUNT", lines=(("L1", "MUG-RED", 2), ("L2", "TEA-GREEN", 1)),
                  fulfillment_orders=None, country="AE", **extra):
    body = {
        "merchant": merchant,
        "partner_order_reference": ref,
        "language": "en",
        "order_date": "2026-05-01T10:00:00",
        "sales_channel": "web",
        "customer": {"contact_name": "Ada Lovelace", "contact_email": "ada@example.com", "customer_key": "CUST-1"},
        "billing_address": {"contact_name": "Ada Lovelace", "city": "Dubai", "country": country},
        "payment": {"currency": "AED", "order_total": 120, "payment_on_delivery": False},
        "line_items": [{"id": i, "sku": sku, "quantity": q, "unit_price": 40} for i, sku, q in lines],
        "delivery_method": "DELIVERY",
        "delivery_address": {"contact_name": "Ada Lovelace", "address1": "1 Street", "city": "Dubai",
                             "country": country},
        "delivery_schedule": {"scheduled_from": "2026-05-03T09:00:00+04:00",
                              "scheduled_to": "2026-05-03T12:00:00+04:00"},
    }
    if fulfillment_orders is not None:
        body["fulfillment_orders"] = fulfillment_orders
    body.update(extra)
    return body
