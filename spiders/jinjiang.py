from crawler.platforms.trs import TrsSpider


class JinjiangSpider(TrsSpider):
    """晋江市人民政府 — TRS WCM, Quanzhou site group."""

    name = site_id = "jinjiang"
    site_name = "晋江市人民政府"
    region_code = "350582"
    province, prefecture, county = "福建省", "泉州市", "晋江市"
    home_url = "https://www.jinjiang.gov.cn/"
    entry_urls = ["https://www.jinjiang.gov.cn/xxgk/zfxxgkzl/"]
    # field guide trs-fujian.md §3: 审计局 and 东石镇 reports (their zfxxgkml columns are footholds)
    footholds = ["https://www.jinjiang.gov.cn/xxgk/zfxxgkzl/bmzfxxgk/sjj/zfxxgkml/202601/t20260127_3261834.htm",
                 "https://www.jinjiang.gov.cn/xxgk/zfxxgkzl/zjdgk/12/zfxxgkml/202601/t20260119_3258021.htm"]
