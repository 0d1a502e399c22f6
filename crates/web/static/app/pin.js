// The pin of the edit form: drag it (or click the map) and the latitude and longitude fields
// fill in; type in the fields and the pin follows. Only an enhancement: without JavaScript the
// map stays hidden and the two fields are the way; the server checks the position against the
// commune either way.
(function () {
  const el = document.getElementById("carte-position");
  const lat = document.getElementById("latitude");
  const lon = document.getElementById("longitude");
  if (!el || !lat || !lon || !window.L) return;
  el.hidden = false;
  const hint = document.createElement("p");
  hint.className = "app-hint";
  hint.id = "carte-position-aide";
  hint.textContent = "Sur la carte, faites glisser l'épingle ou cliquez à l'endroit exact : la latitude et la longitude se remplissent.";
  el.parentNode.insertBefore(hint, el);
  el.setAttribute("role", "region");
  el.setAttribute("aria-label", "Carte de la position du lieu (la latitude et la longitude donnent la même information)");
  const start = el.dataset.lat && el.dataset.lon ? [Number(el.dataset.lat), Number(el.dataset.lon)] : [46.6, 2.4];
  const map = L.map(el, { keyboard: true, maxZoom: 19, minZoom: 5, zoomControl: false }).setView(start, el.dataset.lat ? 15 : 6);
  L.control.zoom({ zoomInTitle: "Zoomer", zoomOutTitle: "Dézoomer" }).addTo(map);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution }).addTo(map);
  } else {
    fetch(el.dataset.background).then((r) => r.json()).then((geo) => {
      L.geoJSON(geo, { style: { color: "#6a6af4", weight: 1, fillColor: "#f5f5fe", fillOpacity: 1 }, interactive: false }).addTo(map).bringToBack();
    });
  }
  let marker = null;
  const put = (latlng, fill) => {
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, title: "Position du lieu", alt: "Position du lieu", keyboard: false }).addTo(map);
      marker.on("dragend", () => put(marker.getLatLng(), true));
    } else {
      marker.setLatLng(latlng);
    }
    if (fill) {
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
    }
  };
  if (el.dataset.placed) put(L.latLng(start[0], start[1]), false);
  map.on("click", (e) => put(e.latlng, true));
  const follow = () => {
    const a = Number(lat.value.replace(",", "."));
    const b = Number(lon.value.replace(",", "."));
    if (lat.value && lon.value && Number.isFinite(a) && Number.isFinite(b)) {
      put(L.latLng(a, b), false);
      map.panTo([a, b]);
    }
  };
  lat.addEventListener("change", follow);
  lon.addEventListener("change", follow);
})();
