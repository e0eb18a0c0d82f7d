"""Enforcement statistics (执法数据统计分析) and the annual 行政执法统计年报, read from stored figures kept
current as cases and footage change (never by assembling every timeline on request).

May import: `core`, `audit.service`, `catalog`, and what it reads figures from: `cases`, `media`, `timeline`, `review`,
`publication`, `custody.fixity`, `agencies`; `lists.flowchart` for the fonts of its SVG charts; `officers.service` for
the names of the officers it counts footage by; `devices.service` for the device register's figures (stats/devices.py).
"""
