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
