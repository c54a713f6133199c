"""The people of `ducha demo` (演示数据): who acts for which unit of Jilin in which role.

Shared by the demo's supervision cases (`ducha/demo.py`) and its annual plan (年度计划), task ledger
(工作台账) and leaders' instructions (领导批示) (`ducha/demo_ledger.py`).
"""

from __future__ import annotations

from datetime import date

from domain.actor import Actor, Role

D = date.fromisoformat

LEADER = Actor("220000", Role.LEADER, "刘省长")
GOVERNMENT = Actor("220000", Role.GOVERNMENT, "省政府办公厅张明远")
REVIEWER = Actor("220000", Role.GOVERNMENT, "省政府办公厅李文静")  # took no part in the conclusions: decides the review
OFFICE = Actor("220000-DCS", Role.AGENCY, "省督查室赵国栋")
OFFICER = Actor("220000-DCS", Role.AGENCY, "省督查室孙丽娜")
EDUCATION = Actor("220000-JYT", Role.DEPARTMENT, "省教育厅周立新")
REFORM = Actor("220000-FGW", Role.DEPARTMENT, "省发展改革委刘建华")
HOUSING = Actor("220000-ZJT", Role.DEPARTMENT, "省住房城乡建设厅韩冬梅")
CHANGCHUN = Actor("220100", Role.TARGET, "长春市政府办公厅陈志强")
CHANGCHUN_OFFICE = Actor("220100-DCS", Role.AGENCY, "长春市督查室高远")
NANGUAN = Actor("220102", Role.TARGET, "南关区政府办公室李晓东")
CHAOYANG = Actor("220104", Role.TARGET, "朝阳区政府办公室马丽")
JILIN = Actor("220200", Role.TARGET, "吉林市政府办公厅王海波")
SIPING = Actor("220300", Role.TARGET, "四平市政府办公室郑宏")
SONGYUAN = Actor("220700", Role.TARGET, "松原市政府办公室白雪松")
YANBIAN = Actor("222400", Role.TARGET, "延边州政府办公室金成哲")
