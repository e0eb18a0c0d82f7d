"""The lists an agency publishes (行政执法事项清单, 随机抽查事项清单, 服务指南) and the procedure flowcharts
(`flowchart`, drawn from the procedure catalog), and the versions of each list it has served.

May import: `core`, `audit.service`, `catalog`, `agencies.service`.
"""
