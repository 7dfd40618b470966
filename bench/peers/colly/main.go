// Command colly-bench crawls one origin with Colly v2 and prints
// {"pages":N,"errors":M} on stdout when done.
//
// Settings: Async(true), LimitRule{DomainGlob:"*", Parallelism:P}, AllowedDomains
// = the seed's hostname, MaxDepth 0 (unlimited), no delays, robots.txt ignored
// (Colly's default), every a[href] visited (fragment stripped and
// de-duplicated first unless -raw), response bodies discarded after link
// extraction. The HTTP transport keeps up to P idle connections per host
// (Go's default of 2 would make most requests open a new connection).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"
)

func main() {
	parallelism := flag.Int("parallelism", 64, "LimitRule Parallelism")
	raw := flag.Bool("raw", false, "visit every href as is, relying on Colly's own de-duplication only")
	timeout := flag.Duration("timeout", 30*time.Second, "per-request timeout")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: colly-bench [-parallelism 64] START_URL")
		os.Exit(2)
	}
	start := flag.Arg(0)
	u, err := url.Parse(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad start URL:", err)
		os.Exit(2)
	}

	c := colly.NewCollector(
		colly.Async(true),
		colly.AllowedDomains(u.Hostname()),
		colly.MaxDepth(0),
	)
	c.SetRequestTimeout(*timeout)
	c.WithTransport(&http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        *parallelism * 2,
		MaxIdleConnsPerHost: *parallelism * 2,
		IdleConnTimeout:     90 * time.Second,
	})
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: *parallelism}); err != nil {
		fmt.Fprintln(os.Stderr, "limit:", err)
		os.Exit(1)
	}

	var pages, errs atomic.Int64
	debug := os.Getenv("COLLY_BENCH_DEBUG") != ""
	c.OnResponse(func(r *colly.Response) {
		pages.Add(1)
		if debug {
			fmt.Fprintln(os.Stderr, r.Request.URL.String())
		}
	})
	c.OnError(func(r *colly.Response, err error) { errs.Add(1) })
	// Colly keeps URL fragments (p1.html#s2 and p1.html are two requests) and,
	// with Async and GOMAXPROCS > 1, fetched the same URL many times in our
	// runs (its visited check is not atomic). Unless -raw is given, links are
	// de-duplicated here first, without their fragment, as a user would do.
	var seen sync.Map
	c.OnHTML("a[href]", func(e *colly.HTMLElement) {
		if *raw {
			_ = e.Request.Visit(e.Attr("href"))
			return
		}
		abs := e.Request.AbsoluteURL(e.Attr("href"))
		if i := strings.IndexByte(abs, '#'); i >= 0 {
			abs = abs[:i]
		}
		if abs == "" {
			return
		}
		if _, loaded := seen.LoadOrStore(abs, struct{}{}); loaded {
			return
		}
		// Visit returns ErrAlreadyVisited / ErrForbiddenDomain etc. for skipped links.
		_ = e.Request.Visit(abs)
	})

	t0 := time.Now()
	seen.Store(start, struct{}{})
	if err := c.Visit(start); err != nil {
		fmt.Fprintln(os.Stderr, "visit:", err)
		os.Exit(1)
	}
	c.Wait()
	out, _ := json.Marshal(map[string]any{
		"pages":  pages.Load(),
		"errors": errs.Load(),
		"secs":   time.Since(t0).Seconds(),
	})
	fmt.Println(string(out))
}
