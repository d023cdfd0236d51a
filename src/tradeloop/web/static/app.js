// tradeloop: small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".menu-toggle");
  const nav = document.getElementById("main-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }
  // Live updates: the unread count on the bell, and each bot event as a "tradeloop:event" the
  // page's own script may act on (server-sent events; the browser reconnects by itself).
  const bell = document.querySelector("[data-unread]");
  if (bell && window.EventSource) {
    // live pages say which event they were rendered after, so none is missed in between
    const after = document.body.dataset.after;
    const source = new EventSource("/api/notifications/stream" + (after ? "?after=" + after : ""));
    source.addEventListener("unread", (e) => {
      const count = JSON.parse(e.data).unread;
      bell.textContent = count;
      bell.hidden = count === 0;
    });
    source.addEventListener("bot", (e) => {
      document.dispatchEvent(new CustomEvent("tradeloop:event", { detail: JSON.parse(e.data) }));
    });
    window.addEventListener("pagehide", () => source.close());
  }
  // on the document, so forms a live update puts on the page ask too
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
});

// For later pages: fetch() to the JSON API with the session cookie and the CSRF header.
window.tradeloopFetch = (url, options = {}) => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const headers = Object.assign({ "X-CSRF-Token": token }, options.headers || {});
  return fetch(url, Object.assign({}, options, { headers, credentials: "same-origin" }));
};

// A time in the user's zone with its label, as the server writes it: "2026-11-30 19:47 UTC+07:00"
// (withDate false: "19:47 UTC+07:00"). The zone is the profile's, on <body data-timezone>.
const tradeloopFormats = {};  // one formatter per zone: making one costs far more than using it
window.tradeloopTime = (iso, withDate = true) => {
  if (!iso) return "—";
  const timeZone = document.body.dataset.timezone || "UTC";
  const parts = {};
  tradeloopFormats[timeZone] ||= new Intl.DateTimeFormat("en-CA", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "longOffset",
  });
  tradeloopFormats[timeZone].formatToParts(new Date(iso)).forEach((p) => { parts[p.type] = p.value; });
  const zone = parts.timeZoneName === "GMT" ? "UTC" : parts.timeZoneName.replace("GMT", "UTC");
  const clock = `${parts.hour}:${parts.minute} ${zone}`;
  return withDate ? `${parts.year}-${parts.month}-${parts.day} ${clock}` : clock;
};

// Plotly charts share one look: transparent, the page's text colour, a legend on top.
window.tradeloopPlot = (() => {
  const dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
  return {
    base: {
      margin: { t: 10, r: 10, b: 50, l: 70 }, separators: ". ", hovermode: "closest",
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: dark ? "#e6e9ee" : "#1c2330" },
      legend: { orientation: "h", y: 1.02, yanchor: "bottom", x: 0 },
    },
    config: { responsive: true, displaylogo: false },
    // the JSON a page embeds in <script type="application/json" id=...>, or null
    json: (id) => { const el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; },
  };
})();
