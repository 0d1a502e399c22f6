// Progressive enhancement only: every page works without this file.
// "Autour de moi" asks the browser for the position and fills the hidden lat/lon fields.
document.documentElement.classList.add("app-js");
const button = document.getElementById("autour-de-moi");
if (button && "geolocation" in navigator) {
  const state = document.getElementById("geoloc-etat");
  button.addEventListener("click", () => {
    state.textContent = "Recherche de votre position…";
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        document.getElementById("lat").value = pos.coords.latitude.toFixed(5);
        document.getElementById("lon").value = pos.coords.longitude.toFixed(5);
        document.getElementById("ou").value = "";
        state.textContent = "Position trouvée.";
        button.form.submit();
      },
      () => { state.textContent = "Position indisponible : tapez votre commune."; },
      { timeout: 10000, maximumAge: 600000 }
    );
  });
}

// "Afficher la carte": the map library is fetched only when the person asks for the map.
const mapButton = document.getElementById("afficher-carte");
if (mapButton) {
  mapButton.addEventListener("click", async () => {
    const box = document.getElementById("carte");
    if (!box.hidden) return;
    box.hidden = false;
    mapButton.setAttribute("aria-expanded", "true");
    mapButton.disabled = true;
    for (const href of mapButton.dataset.styles.split(" ")) {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      document.head.appendChild(link);
    }
    for (const src of mapButton.dataset.scripts.split(" ")) {
      await new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = src;
        s.onload = resolve;
        s.onerror = reject;
        document.body.appendChild(s);
      });
    }
  });
}
