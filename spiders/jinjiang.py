from crawler.platforms.trs import TrsSpider


class JinjiangSpider(TrsSpider):
    """晋江市人民政府 — TRS WCM, Quanzhou site group."""

    name = site_id = "jinjiang"
    site_name = "晋江市人民政府"
    region_code = "350582"
    province, prefecture, county = "福建省", "泉州市", "晋江市"
    home_url = "https://www.jinjiang.gov.cn/"
    entry_urls = ["https://www.jinjiang.gov.cn/xxgk/zfxxgkzl/"]
