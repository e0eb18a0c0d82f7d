"""Webhooks (即时推送): subscriptions, deliveries recorded with the step they report, signed as Standard
Webhooks say and sent with retries by the worker; `addresses` decides where a delivery may go.

May import: `core`, `audit.service`. Knows no domain: publication enqueues through `webhooks.service`.
"""
