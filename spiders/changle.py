from crawler.platforms.trs import TrsSpider


class ChangleSpider(TrsSpider):
    """福州市长乐区人民政府 — TRS WCM, Fuzhou district template (/xjwz/)."""

    name = site_id = "changle"
    site_name = "福州市长乐区人民政府"
    region_code = "350112"
    province, prefecture, county = "福建省", "福州市", "长乐区"
    home_url = "https://www.fzcl.gov.cn/"
    entry_urls = ["https://www.fzcl.gov.cn/xjwz/xxgk/zfxxgk/"]
