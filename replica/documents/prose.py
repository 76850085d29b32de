"""Prose-only legacy reports: a G0 report with no 附表, its figures stated in sentences.

`prose_legacy_spec(agency, year, rng)` gives a `ReportSpec` (template G0, empty `g0` table) whose
section paragraphs say how many applications came in and through which channel, how they were
answered, how much was disclosed proactively, the fees and the reviews and suits. `expected`
holds `g0.<key>.year` for every figure stated (zeros stated as `未…` included). Rendered by the
ordinary renderers (HTML, DOCX, PDF, …); a report year after 2018 gives the old style in a
new-template year (report-format.md §1.2, 牛街乡 2019).
"""
from __future__ import annotations

import random

from .spec import ReportSpec


def prose_legacy_spec(agency: str, year: int, rng: random.Random | int) -> ReportSpec:
    rng = rng if isinstance(rng, random.Random) else random.Random(rng)
    docs = rng.randint(30, 600)
    chans = {"in_person": rng.randint(0, 6), "online": rng.randint(0, 25), "letter": rng.randint(0, 4)}
    total = sum(chans.values())
    partial = rng.randint(0, total // 4) if total else 0
    denied = rng.randint(0, (total - partial) // 4) if total else 0
    granted = total - partial - denied
    fees = rng.choice([0, 0, rng.randint(10, 300)])
    review, suits = rng.choice([0, 0, 1]), rng.choice([0, 0, 1])
    expected: dict[str, float] = {"g0.proactive_docs.year": docs, "g0.fees_yuan.year": fees,
                                  "g0.admin_review.year": review, "g0.admin_litigation.year": suits}
    proactive = [rng.choice([f"{year}年，我单位主动公开政府信息{docs}条，其中通过政府网站公开{docs}条。",
                             f"全年共主动公开政府信息{docs}条，内容涵盖机构职能、政策法规、规划计划等。"])]
    channel_words = {"in_person": rng.choice(["当面申请", "当面提出"]), "online": rng.choice(["网上申请", "网络申请"]),
                     "letter": "信函申请"}
    if total:
        parts = "、".join(f"{channel_words[k]}{n}件" for k, n in chans.items())
        requests = [f"{year}年，{rng.choice(['我单位', '本机关', '我局'])}共受理政府信息公开申请{total}件，其中{parts}。",
                    f"已答复{total}件，其中同意公开{granted}件，同意部分公开{partial}件，不予公开{denied}件。"]
        expected |= {"g0.applications_total.year": total, "g0.replies_total.year": total,
                     "g0.replies.granted.year": granted, "g0.replies.partial.year": partial,
                     "g0.replies.denied.year": denied}
        expected |= {f"g0.applications.{k}.year": n for k, n in chans.items()}
    else:
        requests = [f"{year}年，{rng.choice(['我单位', '本机关'])}未收到政府信息公开申请。"]
        expected["g0.applications_total.year"] = 0
    fee_line = (f"全年依申请提供政府信息共收取检索、复制、邮寄等费用{fees}元。" if fees else
                rng.choice(["本年度未收取任何费用。", "依申请公开政府信息未收取费用。"]))
    if review or suits:
        reviews = [f"本年度发生因政府信息公开申请行政复议{review}件，行政诉讼{suits}件。"]
    else:
        reviews = ["本年度未发生因政府信息公开申请行政复议、提起行政诉讼的情况。"]
    spec = ReportSpec(agency=agency, year=year, template="G0",
                      title=f"{agency}{year}年政府信息公开工作年度报告",
                      signature_date=f"{year + 1}-03-{rng.randint(5, 28):02d}")
    spec.s1_overview = [f"本报告根据《中华人民共和国政府信息公开条例》要求编制，统计期限为{year}年1月1日至{year}年12月31日。"]
    spec.s2_proactive = proactive
    spec.s3_requests = requests + [fee_line]
    spec.s4_review_litigation = reviews
    spec.s5_problems = ["政府信息公开工作仍存在公开内容不够全面、更新不够及时等问题。"]
    spec.s6_other = ["无。"]
    spec.expected = expected
    return spec
