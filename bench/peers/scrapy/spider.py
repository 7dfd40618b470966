"""Scrapy peer for the skein side-by-side benchmark.

Crawls one origin from a start URL, following every a[href] with
response.follow (Scrapy's OffsiteMiddleware keeps it on allowed_domains and its
dupe filter drops repeats and fragment variants). Nothing is yielded as an
item; the page count is printed as one JSON line on stdout when the spider
closes.

    python3 -m scrapy runspider spider.py -a start_url=http://127.0.0.1:8080/index.html \
        -s CONCURRENT_REQUESTS=64 -s CONCURRENT_REQUESTS_PER_DOMAIN=64
"""

import json
import sys
from urllib.parse import urlsplit

import scrapy


class BenchSpider(scrapy.Spider):
    name = "skein-bench"
    custom_settings = {
        "CONCURRENT_REQUESTS": 64,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 64,
        "CONCURRENT_REQUESTS_PER_IP": 0,
        "ROBOTSTXT_OBEY": False,
        "DOWNLOAD_DELAY": 0,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "RETRY_ENABLED": False,
        "DEPTH_LIMIT": 0,
        "DOWNLOAD_TIMEOUT": 30,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }

    def __init__(self, start_url=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not start_url:
            raise ValueError("Missing -a start_url=URL")
        self.start_urls = [start_url]
        self.allowed_domains = [urlsplit(start_url).hostname]
        self.pages = 0

    def start_requests(self):
        # dont_filter=False (Scrapy's start requests default to True) so that
        # later links back to the start URL are recognised as duplicates.
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=False)

    def parse(self, response):
        self.pages += 1
        yield from response.follow_all(css="a::attr(href)", callback=self.parse)

    def closed(self, reason):
        stats = self.crawler.stats
        print(
            json.dumps(
                {
                    "pages": self.pages,
                    "responses": stats.get_value("response_received_count", 0),
                    "errors": stats.get_value("log_count/ERROR", 0),
                    "reason": reason,
                }
            ),
            flush=True,
        )
        sys.stdout.flush()
