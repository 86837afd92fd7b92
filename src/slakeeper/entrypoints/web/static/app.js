// Count down the time left of every [data-due] cell each second, refresh [data-refresh]
// regions from their fragment URL (the at-risk queue) without reloading the page, and read a
// file chosen in an input[type=file][data-into] into the text area it names (the what-if page).
(function () {
  function fmt(seconds) {
    const late = seconds < 0;
    let s = Math.abs(Math.round(seconds));
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    const text = (h ? h + "h " : "") + (h || m ? String(m).padStart(h ? 2 : 1, "0") + "m " : "") + String(s).padStart(2, "0") + "s";
    return late ? "overdue " + text : text;
  }
  function tick() {
    const now = Date.now() / 1000;
    document.querySelectorAll("[data-due]").forEach(function (cell) {
      const left = Number(cell.dataset.due) - now;
      cell.textContent = fmt(left);
      const row = cell.closest("tr");
      if (row && row.dataset.target) {
        const share = left / Number(row.dataset.target);
        row.className = left < 0 ? "risk-late" : share < 0.1 ? "risk-high" : share < 0.25 ? "risk-warn" : "risk-ok";
      }
    });
  }
  function refresh(region) {
    fetch(region.dataset.refresh, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { region.innerHTML = html; region.dataset.refreshed = String(Date.now()); tick(); })
      .catch(function () {});
  }
  document.addEventListener("change", function (event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.dataset.into || !input.files || !input.files.length) return;
    input.files[0].text().then(function (text) { document.getElementById(input.dataset.into).value = text; });
  });
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    document.querySelectorAll("[data-refresh]").forEach(function (region) {
      setInterval(function () { refresh(region); }, Number(region.dataset.every || 15000));
    });
  });
})();
