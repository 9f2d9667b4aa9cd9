# Throughput per profile across kernels: clustered bars, ±stddev error bars.
# Variables: datafile nk title subtitle ylabel logscale
load plotsdir.'/common.gp'
set ylabel ylabel noenhanced
set style data histogram
set style histogram errorbars gap 2 lw 1.5
set style fill solid 0.85 border -1
set key top right box opaque title 'kernel'
set xtics noenhanced
set bmargin (exists('bmargin') ? bmargin : 4)
if (logscale) { set logscale y; set format y '%.0f' } else { set yrange [0:*] }
plot for [i=0:nk-1] datafile using (column(2+2*i)):(column(3+2*i)):xtic(1) \
     title columnheader(2+2*i) lc rgb C[(i%8)+1]
