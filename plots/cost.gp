# Stable-page cost: per group, mean throughput with arm 0 vs arm 1
# (stable_writes off vs on, or dax=never vs dax=always)
# (top), and the change in percent with its 95% interval (bottom; grey and
# "n.s." when the interval includes 0 or there is none).
# Variables: datafile labelsfile ngroups title subtitle ylabel logscale ymax
# bmargin_px lmargin_px rotate nsig nns nnoci arm0 arm1 changelabel (see
# wac-plot cost)
load plotsdir.'/common.gp'
set multiplot
set lmargin at screen lmargin_px * 1.0 / width
set rmargin at screen 1 - 30.0/width
set xrange [-0.5:ngroups-0.5]

# top: throughput off vs on
set tmargin at screen 1 - (strlen(subtitle) > 0 ? 70.0 : 50.0)/height
set bmargin at screen (bmargin_px + 300.0) / height
set ylabel ylabel noenhanced
set style data histogram
set style histogram errorbars gap 2 lw 1.5
set style fill solid 0.85 border -1
set key top right box opaque
unset xtics
if (logscale) { set logscale y; set format y '%.0f'; set yrange [:ymax*6] } else { set yrange [0:ymax*1.2] }
set bars front
plot datafile using 2:3 title arm0 noenhanced lc rgb C[1], \
     '' using 4:5 title arm1 noenhanced lc rgb C[2]
unset label 98
unset label 99

# bottom: the change with its interval
set tmargin at screen (bmargin_px + 265.0) / height
set bmargin at screen bmargin_px * 1.0 / height
unset logscale y
set format y '%+.0f%%'
set yrange [*:*]
set offsets 0, 0, graph 0.25, graph 0.1
set ylabel changelabel noenhanced
set xtics noenhanced scale 0
if (rotate) { set xtics rotate by 45 right }
set xzeroaxis lt 1 lw 1.5 lc rgb '#444444'
set key top right box opaque
load labelsfile
plot datafile using 0:($9 == 1 ? $6 : NaN):7:8:xtic(1) with yerrorbars \
          lw 2 pt 7 ps 1.4 lc rgb C[2] title (nsig > 0 ? 'interval excludes 0' : ''), \
     '' using 0:($9 == 0 ? $6 : NaN):7:8 with yerrorbars \
          lw 2 pt 6 ps 1.4 lc rgb '#888888' title (nns > 0 ? 'not significant (interval includes 0)' : ''), \
     '' using 0:($9 < 0 ? $6 : NaN) with points \
          pt 6 ps 1.4 lc rgb '#888888' title (nnoci > 0 ? 'one run: no interval' : '')
unset multiplot
