# Shared settings for the wac plots: terminal from the driver's variables
# fmt ('png' or 'svg'), outfile, and an optional size width,height.
if (!exists("width")) width = 1200
if (!exists("height")) height = 700
if (fmt eq 'svg') {
    set terminal svg size width,height dynamic enhanced font 'Sans,12' background rgb 'white'
} else {
    set terminal pngcairo size width,height enhanced font 'Sans,11' background rgb 'white'
}
set output outfile
set grid ytics lc rgb '#dddddd' lt 1
set border 3
set tics nomirror
set key noenhanced
# Colours (ColorBrewer Set1, colour-blind safer order)
array C[8] = ['#377eb8', '#e41a1c', '#4daf4a', '#984ea3', '#ff7f00', '#a65628', '#f781bf', '#999999']
# title and an optional smaller subtitle line under it
if (!exists("subtitle")) subtitle = ''
# (drawn as labels so the subtitle sits under the title; multiplot
# scripts use their own title and unset label 98)
unset title
set label 98 title at screen 0.5, screen 1 - 22.0/height center noenhanced font ',14'
set tmargin 3.5
if (strlen(subtitle) > 0) {
    set label 99 subtitle at screen 0.5, screen 1 - 46.0/height center noenhanced font ',10' textcolor rgb '#444444'
    set tmargin 5
}
