# chart.gp - draws docs/bench.svg from the files bench/chart.awk writes.
# Variables (set by bench/chart.sh): four, scale (data files), out (svg),
# machine, when.
set terminal svg size 1100,480 dynamic font "sans,11" background rgb "white"
set output out
set multiplot layout 1,2 title sprintf("dal_bench on %s, %s", machine, when) noenhanced

set title "The four operations: median ops/s (event batch: events/s), log scale"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set format y "%.0s%c"
set yrange [1000:*]
set grid ytics
set key top left
set xtics noenhanced
plot four using 2:xtic(1) title "SQLite, generated" lc rgb "#4472c4", \
     ''   using 3 title "SQLite, hand-written" lc rgb "#a5a5a5", \
     ''   using 4 title "memory, generated" lc rgb "#ed7d31"

set style data linespoints
set title "Scaling: microseconds per query vs rows, log-log"
set logscale xy
set format x "%.0s%c"
set format y "%g"
set yrange [1:1000]
set xrange [700:140000]
set xlabel "rows n (tasks and events)"
set ylabel "microseconds per query"
set key top left
plot scale using 1:2 title "SQLite pending (10 rows)" with linespoints lw 2 pt 7 lc rgb "#4472c4", \
     ''    using 1:3 title "memory pending (10 rows)" with linespoints lw 2 pt 7 lc rgb "#ed7d31", \
     ''    using 1:4 title "SQLite since (100 rows)" with linespoints lw 2 pt 5 lc rgb "#1f3864", \
     ''    using 1:5 title "memory since (100 rows)" with linespoints lw 2 pt 5 lc rgb "#9c4a0e"
unset multiplot
