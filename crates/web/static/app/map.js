// The map: Leaflet with marker clustering, an offline background from the bundled
// département polygons, tiles only when the server is configured with a tile URL.
(function () {
  const el = document.getElementById("carte");
  if (!el || !window.L) return;
  const map = L.map(el, { keyboard: true, maxZoom: 18, minZoom: 5, zoomControl: false }).setView([46.6, 2.4], 6);
  // The zoom buttons in French (Leaflet's own titles are English).
  L.control.zoom({ zoomInTitle: "Zoomer", zoomOutTitle: "Dézoomer" }).addTo(map);
  map.attributionControl.setPrefix(false);
  const tiles = el.dataset.tiles;
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19, attribution: el.dataset.attribution }).addTo(map);
  }
  fetch(el.dataset.background).then((r) => r.json()).then((geo) => {
    L.geoJSON(geo, {
      style: { color: "#6a6af4", weight: 1, fillColor: "#f5f5fe", fillOpacity: tiles ? 0 : 1 },
      interactive: false,
    }).addTo(map).bringToBack();
  });
  fetch(el.dataset.points).then((r) => r.json()).then((points) => {
    const cluster = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, animate: false, maxClusterRadius: 60 });
    const line = (box, text) => {
      if (!text) return;
      const p = document.createElement("p");
      p.textContent = text; // text, never HTML
      box.appendChild(p);
    };
    const markers = points.map(([lat, lon, id, nom, approx, href, address, when]) => {
      const m = L.marker([lat, lon], { title: nom, alt: nom, keyboard: true });
      const box = document.createElement("div");
      const a = document.createElement("a");
      a.href = href || "/lieux/" + encodeURIComponent(id);
      a.textContent = nom; // text, never HTML
      box.appendChild(a);
      line(box, address);
      line(box, when);
      // Placed at its commune's centre: the source gave no coordinates.
      if (approx) line(box, "Position approximative (centre de la commune)");
      m.bindPopup(box);
      return m;
    });
    cluster.addLayers(markers);
    map.addLayer(cluster);
    if (markers.length) map.fitBounds(cluster.getBounds(), { maxZoom: 13, padding: [20, 20] });
  });
})();
