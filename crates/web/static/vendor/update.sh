#!/bin/sh
# Rebuilds the vendored front-end files from the npm registry (no CDN at run time).
# DSFR: core + the components our pages use, concatenated into dsfr/dsfr.css with the relative
# URLs rewritten; only the woff2 fonts and the icons the CSS references are kept.
# Leaflet + markercluster: the minified dist files and images.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
cd "$tmp"
npm pack --silent @gouvfr/dsfr@1.15.3 leaflet@1.9.4 leaflet.markercluster@1.5.3 >/dev/null
for f in *.tgz; do d=${f%.tgz}; mkdir -p "$d"; tar xzf "$f" -C "$d"; done
dist=gouvfr-dsfr-1.15.3/package/dist
out="$here/dsfr"
rm -rf "$out"; mkdir -p "$out/fonts"
{
  sed 's#\.\./fonts/#fonts/#g; s#\.\./icons/#icons/#g' "$dist/core/core.main.min.css"
  for c in link button badge tag form input select checkbox radio skiplink logo header footer \
           card notice alert breadcrumb pagination table search callout highlight accordion; do
    f="$dist/component/$c/$c.main.min.css"
    [ -f "$f" ] && sed 's#\.\./\.\./icons/#icons/#g' "$f"
    echo
  done
} > "$out/dsfr.css"
cp "$dist"/fonts/Marianne-*.woff2 "$dist"/fonts/Spectral-*.woff2 "$out/fonts/"
cp "$dist/favicon/favicon.svg" "$out/favicon.svg"
# Subset the fonts to Latin-1 and French typography (58 KB -> 22 KB each), so the search page
# stays under its weight budget. Needs pyftsubset (pip install fonttools brotli).
for f in "$out"/fonts/*.woff2; do
  pyftsubset "$f" --unicodes="U+0020-007E,U+00A0-00FF,U+0152-0153,U+0178,U+02BC,U+02C6,U+02DA,U+02DC,U+2013-2014,U+2018-201A,U+201C-201E,U+2022,U+2026,U+202F,U+2039-203A,U+20AC,U+2122,U+2192" \
    --layout-features='kern,liga' --flavor=woff2 --output-file="$f.sub" && mv "$f.sub" "$f"
done
# the woff fallbacks are dropped: drop them from the CSS too, so no request 404s
sed -i 's#,url(fonts/[A-Za-z_-]*\.woff) format("woff")##g' "$out/dsfr.css"
grep -o 'url(icons/[^)]*)' "$out/dsfr.css" | sed 's/url(//; s/)$//; s/?.*//' | sort -u | while read -r p; do
  mkdir -p "$out/$(dirname "$p")"; cp "$dist/$p" "$out/$p"
done
cp "$dist/../LICENSE.md" "$out/LICENSE.md"
lf="$here/leaflet"
rm -rf "$lf"; mkdir -p "$lf/images"
cp leaflet-1.9.4/package/dist/leaflet.js leaflet-1.9.4/package/dist/leaflet.css "$lf/"
cp leaflet-1.9.4/package/dist/images/*.png "$lf/images/"
cp leaflet-1.9.4/package/LICENSE "$lf/LICENSE"
cp leaflet.markercluster-1.5.3/package/dist/leaflet.markercluster.js \
   leaflet.markercluster-1.5.3/package/dist/MarkerCluster.css \
   leaflet.markercluster-1.5.3/package/dist/MarkerCluster.Default.css "$lf/"
cp leaflet.markercluster-1.5.3/package/MIT-LICENCE.txt "$lf/markercluster-LICENCE.txt"
rm -rf "$tmp"
