"""设备管理: the agency's recording devices — 执法记录仪 (camera), 采集站 (dock), 录音笔 (recorder) — by 产品序号, with
their model, unit and status (in service, under repair, retired), every change kept as an event; 领用/归还 (a device
checked out to an officer of the register and returned, with times), and who held a device at a given moment
(`holder_at`, which media asks to fill in the officer of footage that names none).

May import: `core`, `audit`, `officers` (a checkout names an officer the register knows). It never imports media:
what it needs of footage (the return's check that footage of the checkout arrived) is handed to it as a function.
"""
