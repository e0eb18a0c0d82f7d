"""Reading the audit log and the CLI's JSON answers."""

import json


def events(http, **filters):
    items, cursor = [], None
    while True:
        page = http.get("/api/v1/audit/events", params={**filters, "limit": 200, **({"cursor": cursor} if cursor else {})}).json()
        items += page["items"]
        if not (cursor := page["next_cursor"]):
            return items


def cli_json(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])
