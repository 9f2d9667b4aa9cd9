# Outcome matrix: scenario (rows) x kernel (columns).
# Variables: datafile (x y code "text") ticsfile nk ns title
width = 520 + 170 * nk
height = 160 + 48 * ns
load plotsdir.'/common.gp'
load ticsfile
set xtics noenhanced scale 0
set ytics noenhanced scale 0
set xlabel 'kernel'
unset grid
set border 0
set cbrange [-0.5:4.5]
set palette defined (0 '#4daf4a', 1 '#377eb8', 2 '#e41a1c', 3 '#ff7f00', 4 '#bbbbbb')
set palette maxcolors 5
set cbtics ('pass (as expected)' 0, 'detect (as expected)' 1, 'UNEXPECTED' 2, 'error' 3, 'skip' 4) scale 0
set colorbox user origin graph 1.02, graph 0 size 0.03, graph 1
set rmargin 30
# boxes rather than 'with image': an image needs at least two columns
plot datafile using 1:2:(0.5):(0.5):3 with boxxyerror fs solid 1.0 noborder fc palette notitle, \
     '' using 1:2:4 with labels textcolor rgb 'white' font ',11:Bold' notitle
