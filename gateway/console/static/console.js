/* Vigicommerce console: the few behaviours that need a script. Hand-written, no dependency, no build step;
   the pages work without it (links and forms). Same licence as the rest of the gateway.

   - [data-refresh="URL"][data-every="S"]: every S seconds, ask the server for the fragment at URL and swap it in
     when it changed (the healthchecks way: the server renders, the page only replaces). A 401 means the session
     ended: reload, which shows the sign-in page. Paused while the tab is hidden.
*/
(function () {
  "use strict";

  var REFRESH_HEADER = { "X-Vigi-Refresh": "1" };

  function swap(el, html) {
    var active = document.activeElement;
    var focusId = active && el.contains(active) ? active.id : null;
    el.innerHTML = html;
    if (focusId) {
      var again = document.getElementById(focusId);
      if (again) { again.focus(); }
    }
    el.dispatchEvent(new CustomEvent("vigi:refreshed", { bubbles: true }));
  }

  function liveRefresh(el) {
    var url = el.getAttribute("data-refresh");
    var every = Math.max(1, parseFloat(el.getAttribute("data-every") || "5")) * 1000;
    var last = null;
    function schedule() { window.setTimeout(tick, every); }
    function tick() {
      if (document.hidden) { schedule(); return; }
      fetch(url, { headers: REFRESH_HEADER, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.status === 401) { window.location.reload(); return null; }
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.text();
        })
        .then(function (html) {
          if (html === null) { return; }
          el.removeAttribute("data-stale");
          if (html !== last) { last = html; swap(el, html); }
          schedule();
        })
        .catch(function () { el.setAttribute("data-stale", ""); schedule(); });
    }
    schedule();
  }

  document.querySelectorAll("[data-refresh]").forEach(liveRefresh);
  window.vigi = { refreshHeader: REFRESH_HEADER, swap: swap };
})();
