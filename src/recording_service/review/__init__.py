"""Case-file review (案卷评查): the agency's review sheet applied to a case's timeline — the score, the
deductions and the findings behind them.

May import: `core`, `catalog`, `cases` (models, service), `timeline.service`.
"""
