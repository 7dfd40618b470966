// Command latency-server serves a generated n-page site on loopback, answering
// each page only after a fixed delay, to measure how well a crawler keeps many
// requests in flight: with concurrency c and delay d no crawler can exceed
// c/d pages/s.
//
// Layout: /index.html links to /p/1.html .. /p/B.html (B = -breadth); page i
// links to its tree children B+(i-1)*F+1 .. B+i*F (F = -fanout), to i+1, to the
// index and to a few pseudo-random pages (some twice), so all pages are found
// within a few hops and there is enough breadth to keep c requests in flight.
// Pages are rendered on the fly and are identical across runs.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

var words = strings.Fields(`the of and to in is crawler frontier queue fetch page link robots host
origin scope depth politeness delay request response header body stream parser anchor index
latency throughput socket connection keepalive timeout retry river mountain harbour lantern
meadow copper violet orchard glacier thistle ember willow quartz saffron tundra beacon cobalt`)

// splitmix64 gives a deterministic pseudo-random sequence per page.
type splitmix64 uint64

func (s *splitmix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

type site struct {
	pages, breadth, fanout, textBytes int
}

func (s site) children(i int) (lo, hi int) {
	if i == 0 {
		return 1, min(s.breadth, s.pages-1)
	}
	lo = s.breadth + (i-1)*s.fanout + 1
	hi = min(s.breadth+i*s.fanout, s.pages-1)
	return lo, hi
}

func href(i int) string {
	if i == 0 {
		return "/index.html"
	}
	return "/p/" + strconv.Itoa(i) + ".html"
}

func (s site) render(i int) []byte {
	rnd := splitmix64(uint64(i)*0x2545f4914f6cdd1d + 1)
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Page %d</title></head>\n<body><nav><a href=\"/index.html\">Home</a></nav>\n<ul>\n", i)
	lo, hi := s.children(i)
	for c := lo; c <= hi; c++ {
		fmt.Fprintf(&b, "<li><a href=\"%s\">child %d</a></li>\n", href(c), c)
	}
	if i+1 < s.pages {
		fmt.Fprintf(&b, "<li><a href=\"%s\">next</a></li>\n", href(i+1))
	}
	for k := 0; k < 5; k++ {
		r := int(rnd.next() % uint64(s.pages))
		fmt.Fprintf(&b, "<li><a href=\"%s\">random %d</a></li>\n", href(r), r)
		if k == 0 {
			fmt.Fprintf(&b, "<li><a href=\"%s#again\">again</a></li>\n", href(r))
		}
	}
	b.WriteString("<li><a href=\"http://offsite.invalid/away.html\">elsewhere</a></li>\n</ul>\n<p>")
	for b.Len() < s.textBytes {
		b.WriteString(words[rnd.next()%uint64(len(words))])
		b.WriteByte(' ')
	}
	b.WriteString("</p>\n</body></html>\n")
	return []byte(b.String())
}

// timing records, for each answered page, when its request arrived and when
// its response was written, so a run can be judged from the server's side:
// how many of the crawler's c slots were busy between the seed's answer and
// the last answer. GET /_stats returns the summary and starts a new record.
type timing struct {
	mu     sync.Mutex
	origin time.Time
	spans  []span
}

type span struct {
	page        int
	start, done time.Duration
}

func (t *timing) add(page int, start time.Time) {
	now := time.Now()
	t.mu.Lock()
	t.spans = append(t.spans, span{page, start.Sub(t.origin), now.Sub(t.origin)})
	t.mu.Unlock()
}

type stats struct {
	Pages int `json:"pages"`
	// The first request, from the reset of the record (run.sh resets it just before it
	// starts the crawler: about the crawler's start-up time).
	FirstRequestS  float64   `json:"first_request_s"`
	SeedDoneS      float64   `json:"seed_done_s"`     // seed answered, from the first request
	LastDoneS      float64   `json:"last_done_s"`     // last answer, from the first request
	AfterSeed      int       `json:"after_seed"`      // pages answered after the seed
	SustainedPerS  float64   `json:"sustained_per_s"` // after_seed / (last_done - seed_done)
	MeanInFlight   float64   `json:"mean_in_flight"`  // between seed_done and last_done
	InFlightPer100 []float64 `json:"in_flight_per_100ms"`
	// How long the server held requests, arrival to response written: delay and rendering.
	MeanHoldMs float64 `json:"mean_hold_ms"`
	MaxHoldMs  float64 `json:"max_hold_ms"`
	// When requests number 2, 101, 251 and 501 arrived (the first wave after the seed).
	Arrivals []float64 `json:"arrivals_s"`
	// With ?c=N (the crawler's concurrency): how long a slot stayed empty. Request j
	// (in order of arrival, the seed is 0) can only be sent once answer j-N is out,
	// so arrival[j] - done[j-N] is the time from an answer leaving the server to
	// the request that took its slot arriving, for j > N: the crawler's lag per
	// request, on the server's clock (loopback adds microseconds).
	Gap *gapStats `json:"gap_ms,omitempty"`
	// The same past the first two waves (j > 2N): the steady state, without the start-up
	// of the first wave's connections and a cold JIT.
	GapSteady *gapStats `json:"gap_steady_ms,omitempty"`
}

type gapStats struct {
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
}

func gaps(spans []span, c, from int) *gapStats {
	if c < 1 || len(spans) <= from+1 {
		return nil
	}
	starts := make([]time.Duration, len(spans))
	dones := make([]time.Duration, len(spans))
	for i, s := range spans {
		starts[i], dones[i] = s.start, s.done
	}
	slices.Sort(starts)
	slices.Sort(dones)
	g := make([]float64, 0, len(spans)-from-1)
	sum := 0.0
	for j := from + 1; j < len(spans); j++ {
		ms := float64((starts[j] - dones[j-c]).Microseconds()) / 1000
		g = append(g, ms)
		sum += ms
	}
	slices.Sort(g)
	at := func(q float64) float64 { return g[min(len(g)-1, int(q*float64(len(g))))] }
	return &gapStats{N: len(g), Mean: sum / float64(len(g)), P50: at(0.5), P90: at(0.9), P99: at(0.99)}
}

func (t *timing) take(c int) stats {
	t.mu.Lock()
	spans := t.spans
	t.spans = nil
	t.origin = time.Now()
	t.mu.Unlock()
	st := stats{Pages: len(spans), InFlightPer100: []float64{}}
	if len(spans) == 0 {
		return st
	}
	first, seedDone, last := spans[0].start, time.Duration(-1), spans[0].done
	for _, s := range spans {
		first = min(first, s.start)
		last = max(last, s.done)
		if s.page == 0 && (seedDone < 0 || s.done < seedDone) {
			seedDone = s.done
		}
	}
	if seedDone < 0 {
		seedDone = first
	}
	st.FirstRequestS = first.Seconds()
	var busy, held, maxHeld time.Duration
	bins := make([]time.Duration, int((last-first)/(100*time.Millisecond))+1)
	for _, s := range spans {
		held += s.done - s.start
		maxHeld = max(maxHeld, s.done-s.start)
		if s.done > seedDone {
			st.AfterSeed++
			busy += s.done - max(s.start, seedDone)
		}
		for b := int((s.start - first) / (100 * time.Millisecond)); b < len(bins); b++ {
			lo := first + time.Duration(b)*100*time.Millisecond
			hi := lo + 100*time.Millisecond
			if s.done <= lo {
				break
			}
			bins[b] += min(hi, s.done) - max(lo, s.start)
		}
	}
	starts := make([]time.Duration, len(spans))
	for i, s := range spans {
		starts[i] = s.start - first
	}
	slices.Sort(starts)
	for _, k := range []int{1, 100, 250, 500} {
		if k < len(starts) {
			st.Arrivals = append(st.Arrivals, starts[k].Seconds())
		}
	}
	st.MeanHoldMs = float64(held.Microseconds()) / 1000 / float64(len(spans))
	st.MaxHoldMs = float64(maxHeld.Microseconds()) / 1000
	st.SeedDoneS = (seedDone - first).Seconds()
	st.LastDoneS = (last - first).Seconds()
	if window := last - seedDone; window > 0 {
		st.SustainedPerS = float64(st.AfterSeed) / window.Seconds()
		st.MeanInFlight = busy.Seconds() / window.Seconds()
	}
	for _, b := range bins {
		st.InFlightPer100 = append(st.InFlightPer100, float64(b.Milliseconds())/100)
	}
	st.Gap = gaps(spans, c, c)
	st.GapSteady = gaps(spans, c, 2*c)
	return st
}

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address (keep it on loopback)")
	pages := flag.Int("pages", 5000, "number of pages, /index.html included")
	breadth := flag.Int("breadth", 500, "links on /index.html")
	fanout := flag.Int("fanout", 10, "tree children per page")
	delay := flag.Duration("delay", 250*time.Millisecond, "delay before each page response")
	textBytes := flag.Int("bytes", 4000, "approximate page size")
	flag.Parse()
	s := site{pages: *pages, breadth: *breadth, fanout: *fanout, textBytes: *textBytes}

	rec := &timing{origin: time.Now()}
	mux := http.NewServeMux()
	mux.HandleFunc("/_stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		c, _ := strconv.Atoi(r.URL.Query().Get("c"))
		_ = json.NewEncoder(w).Encode(rec.take(c))
	})
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("User-agent: *\nAllow: /\n"))
	})
	page := func(w http.ResponseWriter, r *http.Request, i int) {
		start := time.Now()
		t := time.NewTimer(*delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		body := s.render(i)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if _, err := w.Write(body); err == nil {
			rec.add(i, start)
		}
	}
	mux.HandleFunc("/index.html", func(w http.ResponseWriter, r *http.Request) { page(w, r, 0) })
	mux.HandleFunc("/p/", func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/p/"), ".html")
		i, err := strconv.Atoi(name)
		if !ok || err != nil || i < 1 || i >= s.pages || strconv.Itoa(i) != name {
			http.NotFound(w, r)
			return
		}
		page(w, r, i)
	})
	srv := &http.Server{
		Addr:              *addr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	log.Printf("latency-server: %d pages, %v delay, on http://%s/index.html", s.pages, *delay, *addr)
	log.Fatal(srv.ListenAndServe())
}
