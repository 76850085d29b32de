"""Narrative paragraphs for synthetic reports (templated on the seeds' wording)."""
from __future__ import annotations

import random

from .spec import ReportSpec

_OVERVIEW = [
    "{year}年，{agency}以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》和上级关于政务公开工作的部署要求，坚持以公开为常态、不公开为例外，不断提升政务公开质量，有效保障人民群众的知情权、参与权和监督权。",
    "（一）主动公开情况。{year}年，我单位通过政府门户网站主动公开各类政府信息{n_info}条，及时发布机构职能、政策文件、财政预决算、行政执法等信息。",
    "（二）依申请公开情况。{year}年，共收到政府信息公开申请{n_new}件，均在法定期限内依法答复。",
    "（三）政府信息管理情况。严格落实信息发布保密审查制度，做到先审查、后公开，一事一审、全面审查。",
    "（四）平台建设情况。进一步优化政府网站信息公开专栏设置，及时更新栏目内容，发挥政务新媒体在信息发布、政策解读和回应关切方面的作用。",
    "（五）监督保障情况。成立政务公开工作领导小组，明确专人负责，将政务公开工作纳入年度绩效考核内容。",
]
_PROBLEMS = [
    "{year}年，我单位政府信息公开工作取得了一定成效，但仍存在一些不足：一是公开内容的深度和广度还需拓展；二是政策解读的形式还不够丰富；三是工作人员的业务水平有待进一步提高。",
    "下一步，我单位将进一步完善政务公开工作机制，加强业务培训，丰富政策解读形式，持续提升政府信息公开工作质量。",
]
_OTHER_G2 = ["本年度未收取信息处理费。", "{year}年度，本机关未发生收取信息处理费的情况。", "无。"]
_OTHER_G1 = ["无需要说明的其他事项。", "本报告所列数据的统计期限自{year}年1月1日至{year}年12月31日。"]
_G0_S2 = ["{year}年我单位共主动公开政府信息{docs}条，历年累计主动公开政府信息{docs_cum}条。"]
_G0_S3 = ["{year}年，我单位共受理政府信息公开申请{apps}件。历年来累计受理政府信息依申请公开{apps_cum}件。"]
_G0_S4 = ["{year}年，我单位未发生因政府信息公开申请行政复议、提起行政诉讼的情况。"]


def narrative(rng: random.Random, spec: ReportSpec, s3n: dict, g0n: dict) -> dict[str, list[str] | None]:
    """Section paragraphs consistent with the numbers (counts quoted in the text agree)."""
    fields = {"year": spec.year, "agency": spec.agency, "n_info": rng.randint(20, 600),
              "n_new": s3n.get("new", [0] * 7)[6] if s3n else 0}
    if g0n:
        fields |= {"docs": g0n["proactive_docs"][0], "docs_cum": g0n["proactive_docs"][1],
                   "apps": g0n["applications_total"][0], "apps_cum": g0n["applications_total"][1]}
    fmt = lambda ps: [p.format(**fields) for p in ps]  # noqa: E731
    out: dict[str, list[str] | None] = {
        "s1_overview": fmt(_OVERVIEW[:1] + rng.sample(_OVERVIEW[1:], rng.randint(2, 5))),
        "s5_problems": fmt(_PROBLEMS),
    }
    if spec.template == "G0":
        out |= {"s2_proactive": fmt(_G0_S2), "s3_requests": fmt(_G0_S3), "s4_review_litigation": fmt(_G0_S4),
                "s6_other": ["（一）暂无需要说明的其他事项", "（二）附表"]}
        spec.g0_table_after = "（二）附表"
    else:
        out["s6_other"] = fmt([rng.choice(_OTHER_G2 if spec.template == "G2" else _OTHER_G1)])
    return out
