module skein.bench/latency

go 1.26
