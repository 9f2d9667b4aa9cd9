# Latency percentile curves, write() and mmap store side by side.
# Variables: datafile_w nw datafile_m nm title subtitle height key_px key_rows (room for
# the keys under the panels, where they cover no curve)
width = 1400
load plotsdir.'/common.gp'
unset label 98
unset title
set multiplot layout 1,2 title title noenhanced font ',14' margins 0.08, 0.98, (key_px + 70.0)/height, 1 - 100.0/height spacing 0.08
set logscale y
set format y '%.0f'
set ylabel 'latency (microseconds, log scale)'
set xlabel 'percentile'
set key at screen 0.29, screen (key_px + 8.0)/height center top box noenhanced maxrows key_rows
set xrange [-0.3:5.3]
set datafile missing '?'
set style data linespoints
set title 'write()'
if (nw > 0) {
    plot for [i=1:nw] datafile_w using 2:(column(2+i)):xtic(1) title columnheader(2+i) lw 2 pt (i>8 ? 5 : 7) dt 1+(i>8) lc rgb C[((i-1)%8)+1]
} else {
    unset logscale y; set yrange [0:1]; set label 1 'no write() latencies' at graph 0.5,0.5 center
    unset xtics; unset ytics; unset xlabel; unset ylabel; unset key; set border 0; unset grid
    plot NaN notitle
    unset label 1; set logscale y; set yrange [*:*]
    set xtics; set ytics; set xlabel 'percentile'; set ylabel 'latency (microseconds, log scale)'
    set key at screen 0.29, screen (key_px + 8.0)/height center top box noenhanced maxrows key_rows; set border 3; set grid ytics lc rgb '#dddddd' lt 1
}
# the subtitle once, not once per panel
unset label 99
set title 'mmap store (including its page fault)'
set key at screen 0.77, screen (key_px + 8.0)/height center top box noenhanced maxrows key_rows
if (nm > 0) {
    plot for [i=1:nm] datafile_m using 2:(column(2+i)):xtic(1) title columnheader(2+i) lw 2 pt (i>8 ? 5 : 7) dt 1+(i>8) lc rgb C[((i-1)%8)+1]
} else {
    unset logscale y; set yrange [0:1]; set label 1 'no mmap store latencies' at graph 0.5,0.5 center
    unset xtics; unset ytics; unset xlabel; unset ylabel; unset key; set border 0; unset grid
    plot NaN notitle
}
unset multiplot
