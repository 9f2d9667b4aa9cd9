# Throughput per profile across kernels: clustered bars, ±stddev error bars.
# Variables: datafile nk title subtitle ylabel logscale width height bmargin lmargin_px rotate
load plotsdir.'/common.gp'
set ylabel ylabel noenhanced
set style data histogram
set style histogram errorbars gap 2 lw 1.5
set style fill solid 0.85 border -1
# outside the bars: an opaque key inside would hide the last cluster
set key outside top right box title 'kernel'
set xtics noenhanced
if (exists('rotate') && rotate) { set xtics rotate by 45 right }
set bmargin (exists('bmargin') ? bmargin : 4)
if (exists('lmargin_px')) { set lmargin at screen lmargin_px * 1.0 / width }
if (logscale) { set logscale y; set format y '%.0f' } else { set yrange [0:*] }
plot for [i=0:nk-1] datafile using (column(2+2*i)):(column(3+2*i)):xtic(1) \
     title columnheader(2+2*i) lc rgb C[(i%8)+1]
