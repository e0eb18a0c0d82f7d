"""行政执法公示: a publication drafted from a case's decision, redaction (`redaction`, rules and a NER
model), the 双公示 field rules, approval, publishing, corrections, 履行情况, withdrawal, the public API and
the 双公示 exchange (`exchange`).

May import: `core`, `audit.service`, `catalog`, `cases` (service, record, events: a decision revoked on the case makes
its items' withdrawal due), `officers.service`,
`agencies.service`, `workdays` (service, counting), `webhooks.service` (the deliveries a step enqueues).
"""
