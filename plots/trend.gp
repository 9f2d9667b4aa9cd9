# A metric over time, one panel per group, with the baseline band.
# Variables: datafile (runs, one index block per group), nightsfile (per
# night: time mean sd runs), bandfile, ng, ylabel, title, xmin, xmax (the
# padded time range), xtic_s, has_base (a baseline band exists)
cols = (ng <= 1) ? 1 : (ng <= 4 ? 2 : (ng <= 9 ? 3 : 4))
rows = int(ceil(ng * 1.0 / cols))
width = 450 * cols + 100
height = 300 * rows + 80
load plotsdir.'/common.gp'
unset label 98
set multiplot layout rows,cols title title noenhanced font ',14'
set xdata time
set timefmt '%Y-%m-%dT%H:%M:%SZ'
set format x "%m-%d\n%H:%M"
set xrange [xmin:xmax]
set xtics xtic_s
unset title
set ylabel ylabel noenhanced
set key bottom left font ',9' noenhanced
set yrange [0:*]
set offsets graph 0.03, graph 0.03, graph 0.25, 0
do for [g=0:ng-1] {
    lo = real(system(sprintf("awk 'NR==%d{print $(NF-2)}' '%s'", g+1, bandfile)))
    mid = real(system(sprintf("awk 'NR==%d{print $(NF-1)}' '%s'", g+1, bandfile)))
    hi = real(system(sprintf("awk 'NR==%d{print $NF}' '%s'", g+1, bandfile)))
    unset object 1
    unset arrow 1
    if (hi > 0) {
        set object 1 rectangle from graph 0, first lo to graph 1, first hi behind fc rgb '#cfe2f3' fs solid 0.7 noborder
        set arrow 1 from graph 0, first mid to graph 1, first mid nohead dt 2 lc rgb '#377eb8'
    }
    set title system(sprintf("awk -v g=%d '/^# /{n++; if (n==g+1) {sub(/^# /,\"\"); print; exit}}' '%s'", g, datafile)) noenhanced
    if (g > 0) { unset key }
    if (has_base) {
        plot datafile index g using 1:2 with points pt 7 ps 0.6 lc rgb '#999999' title 'single runs', \
             nightsfile index g using 1:2:3 with yerrorlines pt 7 ps 1.2 lw 2 lc rgb C[2] title 'night: mean ±1 sd', \
             NaN with boxes fs solid 0.7 fc rgb '#cfe2f3' title 'baseline mean ±1 sd'
    } else {
        plot datafile index g using 1:2 with points pt 7 ps 0.6 lc rgb '#999999' title 'single runs', \
             nightsfile index g using 1:2:3 with yerrorlines pt 7 ps 1.2 lw 2 lc rgb C[2] title 'night: mean ±1 sd'
    }
}
unset multiplot
