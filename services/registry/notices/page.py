"""The printable notice (公示) page: Chinese, masked names and ID numbers, every value escaped."""

import datetime as dt
from html import escape

from services.registry.clock import Clock
from services.registry.schemas import NoticeOut

STYLE = (
    "body{font-family:'SimSun','Songti SC',serif;margin:2cm}h1{text-align:center;font-size:20pt}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #000;padding:4px 8px;font-size:12pt}"
    "p{font-size:12pt;line-height:1.8}@media print{body{margin:1cm}}"
)


def render(notice: NoticeOut, clock: Clock) -> str:
    posted = clock.local(notice.posted_at)
    last_day = clock.local(notice.ends_at - dt.timedelta(seconds=1))
    rows = "".join(
        "<tr>"
        f"<td>{entry.position}</td><td>{escape(entry.head_name_masked)}</td>"
        f"<td>{escape(entry.head_id_masked)}</td><td>{escape(entry.group_name or '')}</td>"
        f"<td>{entry.member_count}</td><td>{escape(entry.category_label)}</td>"
        f"<td>{escape(entry.main_cause_label or '')}</td><td>{escape(entry.outcome_label)}</td>"
        "</tr>"
        for entry in notice.entries
    )
    period = (
        f"公示期为{notice.period_days}天(自{posted:%Y年%m月%d日}次日起算,至{last_day:%Y年%m月%d日}24时止)。"
        if notice.period_days
        else f"本公告自{posted:%Y年%m月%d日}起发布。"
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(notice.title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(notice.title)}</h1>"
        f"<p>根据精准扶贫工作程序,现将以下农户予以公示。{period}"
        "公示期内如有异议,请向村民委员会或乡镇人民政府反映。</p>"
        "<table><thead><tr><th>序号</th><th>户主</th><th>身份证号码</th><th>村民小组</th>"
        "<th>家庭人口</th><th>户类别</th><th>主要致贫原因</th><th>状态</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f'<p style="text-align:right">{escape(notice.status_label)} · 发布日期:{posted:%Y年%m月%d日}</p>'
        "</body></html>"
    )
