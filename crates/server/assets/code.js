// Keeps the health code on screen fresh: counts down to its expiry and fetches
// a new signed code shortly before the old one stops verifying.
(function () {
  "use strict";
  var section = document.getElementById("code");
  if (!section) { return; }
  var remainingEl = document.getElementById("remaining");
  var expiresAt = Number(section.dataset.expiresAt) * 1000;
  var skew = 0; // server clock minus this device's clock, in ms
  var REFRESH_BEFORE = 20000;
  var refreshing = false;

  function remainingMs() { return expiresAt - (Date.now() + skew); }

  function show(code) {
    // A new colour comes with new reasons, written on the server in the page's
    // language: load the page again.
    if (code.colour !== section.dataset.colour) { window.location.reload(); return; }
    expiresAt = Date.parse(code.expires_at);
    section.className = "code " + code.colour;
    document.getElementById("colour-label").textContent = section.dataset[code.colour] || code.colour;
    document.getElementById("qr").innerHTML = code.svg;
    document.getElementById("masked-name").textContent = code.masked_name;
  }

  function refresh() {
    if (refreshing) { return; }
    refreshing = true;
    remainingEl.textContent = section.dataset.refreshing;
    fetch("/v1/me/code", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) { window.location.href = "/"; throw new Error("logged out"); }
        // The service was closed meanwhile: the page shows its notice instead.
        if (r.status === 410) { window.location.reload(); throw new Error("service closed"); }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        var date = Date.parse(r.headers.get("Date"));
        if (!isNaN(date)) { skew = date - Date.now(); }
        return r.json();
      })
      .then(show)
      .catch(function () { /* try again on the next tick */ })
      .then(function () { refreshing = false; if (remainingMs() >= REFRESH_BEFORE) { tick(); } });
  }

  function tick() {
    var left = remainingMs();
    // An expired code no longer verifies: never let it pass for a valid one.
    section.classList.toggle("expired", left <= 0);
    if (left <= 0) {
      document.getElementById("colour-label").textContent = section.dataset.expired;
    }
    if (left < REFRESH_BEFORE) { refresh(); }
    if (!refreshing) { remainingEl.textContent = String(Math.max(0, Math.floor(left / 1000))); }
  }

  tick();
  setInterval(tick, 1000);
}());
