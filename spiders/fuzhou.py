from crawler.platforms.trs import TrsSpider


class FuzhouSpider(TrsSpider):
    """福州市人民政府 — TRS WCM, Fuzhou site group."""

    name = site_id = "fuzhou"
    site_name = "福州市人民政府"
    region_code = "350100"
    province, prefecture, county = "福建省", "福州市", ""
    home_url = "https://www.fuzhou.gov.cn/"
    entry_urls = ["https://www.fuzhou.gov.cn/zfxxgkzl/"]
    # field guide trs-fujian.md: the seed report (its column /zgfzzt/sajj/zfxxgkzl/ndbg/ is a foothold)
    footholds = ["https://www.fuzhou.gov.cn/zgfzzt/sajj/zfxxgkzl/ndbg/202301/t20230114_4522367.htm"]
