# Latency percentiles of the upload data path, through the service (proxy)
# and straight to the emulator (direct), from upload_load_bench --plot_data.
#
#   gnuplot -e "closed='closed.dat'; open='open.dat'; out='docs/benchmarks-latency.png'" \
#       tools/bench/plot_latency.gp
#
# Data columns: x, proxy p50 p90 p99, direct p50 p90 p99 (ms), then
# uploads/s of proxy and direct.

if (!exists("closed")) closed = 'closed.dat'
if (!exists("open")) open = 'open.dat'
if (!exists("out")) out = 'benchmarks-latency.png'

set terminal pngcairo size 1400,560 font ",11"
set output out
set multiplot layout 1,2 title "Upload latency, 1 MiB images: through the service (proxy) vs straight to the emulator (direct)"

set grid
set key top left
set logscale y
set ylabel "latency (ms, log scale)"

set title "Closed loop: N workers uploading back to back"
set xlabel "concurrent workers (log scale)"
set logscale x 2
plot closed using 1:2 with linespoints lw 2 pt 7 lc rgb "#c0392b" title "proxy p50", \
     closed using 1:4 with linespoints lw 2 pt 5 lc rgb "#c0392b" dt 2 title "proxy p99", \
     closed using 1:5 with linespoints lw 2 pt 7 lc rgb "#2471a3" title "direct p50", \
     closed using 1:7 with linespoints lw 2 pt 5 lc rgb "#2471a3" dt 2 title "direct p99"

set title "Open loop: fixed arrival rate, latency from each scheduled start"
set xlabel "arrival rate (uploads/s)"
unset logscale x
plot open using 1:2 with linespoints lw 2 pt 7 lc rgb "#c0392b" title "proxy p50", \
     open using 1:4 with linespoints lw 2 pt 5 lc rgb "#c0392b" dt 2 title "proxy p99", \
     open using 1:5 with linespoints lw 2 pt 7 lc rgb "#2471a3" title "direct p50", \
     open using 1:7 with linespoints lw 2 pt 5 lc rgb "#2471a3" dt 2 title "direct p99"

unset multiplot
