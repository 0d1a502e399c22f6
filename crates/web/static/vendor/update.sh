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
  sed 's#\.\./fonts/#fonts/#g' "$dist/core/core.main.min.css"
  for c in link button badge tag form input select checkbox radio skiplink logo header footer \
           card notice alert breadcrumb pagination table search callout highlight accordion; do
    f="$dist/component/$c/$c.main.min.css"
    [ -f "$f" ] && sed 's#\.\./\.\./icons/#icons/#g' "$f"
    echo
  done
} > "$out/dsfr.css"
cp "$dist/dsfr.module.min.js" "$out/dsfr.module.min.js"
cp "$dist"/fonts/Marianne-*.woff2 "$dist"/fonts/Spectral-*.woff2 "$out/fonts/"
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
