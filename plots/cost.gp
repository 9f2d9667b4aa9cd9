# Stable-page cost: per profile, mean throughput with stable_writes off vs on.
# Variables: datafile title subtitle ylabel logscale ymax (see wac-plot cost)
load plotsdir.'/common.gp'
set ylabel ylabel noenhanced
set style data histogram
set style histogram errorbars gap 2 lw 1.5
set style fill solid 0.85 border -1
set key top right box opaque
set xtics noenhanced
if (logscale) { set logscale y; set format y '%.0f'; set yrange [:ymax*6] } else { set yrange [0:ymax*1.2] }
set bars front
set bmargin (exists('bmargin') ? bmargin : 4)
load labelsfile
plot datafile using 2:3:xtic(1) title 'stable\_writes = 0 (off)' enhanced lc rgb C[1], \
     '' using 4:5 title 'stable\_writes = 1 (on)' enhanced lc rgb C[2]
