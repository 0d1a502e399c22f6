// The map: Leaflet with marker clustering, an offline background from the bundled
// département polygons, tiles only when the server is configured with a tile URL.
(function () {
  const el = document.getElementById("carte");
  if (!el || !window.L) return;
  const map = L.map(el, { keyboard: true, maxZoom: 18, minZoom: 5 }).setView([46.6, 2.4], 6);
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
    const markers = points.map(([lat, lon, id, nom, approx]) => {
      const m = L.marker([lat, lon], { title: nom, alt: nom, keyboard: true });
      const box = document.createElement("div");
      const a = document.createElement("a");
      a.href = "/lieux/" + encodeURIComponent(id);
      a.textContent = nom; // text, never HTML
      box.appendChild(a);
      if (approx) {
        // Placed at its commune's centre: the source gave no coordinates.
        const note = document.createElement("p");
        note.textContent = "Position approximative (centre de la commune)";
        box.appendChild(note);
      }
      m.bindPopup(box);
      return m;
    });
    cluster.addLayers(markers);
    map.addLayer(cluster);
    if (markers.length) map.fitBounds(cluster.getBounds(), { maxZoom: 13, padding: [20, 20] });
  });
})();
