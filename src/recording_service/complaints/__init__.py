"""投诉: complaints from the public about an officer, a publication or another matter — filed without a token,
answered with a reference number (投诉编号) the complainant looks the reply up by; the agency's queue with due dates
in working days, assignment and the reply, every step audited. The complainant's contact is never public.

May import: `core`, `audit`, `catalog` (the reply's working days), `workdays` (the calendar), `agencies` (which
agency receives a complaint), `publication` (a publication complained about names its agency).
"""
