// Journal page: import with progress; charts (equity, losses, hours, R); filters that submit
// to the address; detector sliders that redraw in place (no reload) and keep σ in the URL.
(() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const form = document.getElementById("import-form");
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const status = document.getElementById("status");
      const errors = document.getElementById("errors");
      const progress = document.getElementById("progress");
      const data = new FormData(form);
      if (!form.elements.store.checked) data.set("store", "false");
      const request = new XMLHttpRequest();
      request.open("POST", "/api/journal/imports");
      request.setRequestHeader("X-CSRF-Token", csrf());
      progress.hidden = false;
      errors.hidden = true;
      request.upload.addEventListener("progress", (e) => {
        if (!e.lengthComputable) return;
        progress.value = (100 * e.loaded) / e.total;
        status.textContent = form.dataset.uploading.replace("__P__", Math.round(progress.value));
      });
      request.upload.addEventListener("load", () => { progress.removeAttribute("value"); status.textContent = form.dataset.analysing; });
      request.addEventListener("load", () => {
        let body = {};
        try { body = JSON.parse(request.responseText); } catch { body = { message: request.statusText }; }
        if (request.status === 201) { window.location.reload(); return; }
        progress.hidden = true;
        status.textContent = form.dataset.failed;
        errors.hidden = false;
        errors.replaceChildren(Object.assign(document.createElement("li"), { textContent: body.message }));
        const field = (body.details || []).map((d) => d && d.field).find((f) => f && form.elements[f]);
        if (field) form.elements[field].focus();  // e.g. the server's time zone of a new MT5 account
      });
      request.send(data);
    });
  }

  if (!document.getElementById("journal-data")) return;
  let data = JSON.parse(document.getElementById("journal-data").textContent);
  const dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
  const base = { margin: { t: 10, r: 10, b: 50, l: 60 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: dark ? "#e6e9ee" : "#1c2330" } };
  const config = { responsive: true, displaylogo: false };
  const box = document.getElementById("loss-chart");
  const pointsWord = box ? box.dataset.points : "points";
  const bucketName = (b) => (b.unit === "money" ? b.name : `${pointsWord} ${b.name}`);
  const settings = document.getElementById("settings-form");
  const sigma = () => Number(settings.elements.sigma_loss.value);

  function drawDonut() {
    const rate = data.clean_rate || 0;
    Plotly.react("donut", [{ values: [rate, 1 - rate], type: "pie", hole: 0.65, sort: false, textinfo: "none",
      marker: { colors: ["#067647", "#fecdca"] }, hoverinfo: "none" }],
      { ...base, margin: { t: 0, b: 0, l: 0, r: 0 }, height: 130, width: 130, showlegend: false,
        annotations: [{ text: `${Math.round(rate * 100)}%`, showarrow: false, font: { size: 22 } }] }, { displayModeBar: false });
  }

  // Losses: outsized when above mean + σ × std of their own market's losses (as the detector).
  function drawLosses() {
    const losses = data.losses;
    const s = sigma();
    const limit = (name) => { const f = losses.by_underlying[name]; return f ? f.mean + s * f.std : null; };
    const groups = { outsized_loss: { x: [], y: [], index: [] }, none: { x: [], y: [], index: [] } };
    losses.points.forEach((p, i) => {
      const threshold = limit(p.underlying);
      const g = groups[threshold !== null && p.lost > threshold ? "outsized_loss" : "none"];
      g.x.push(i + 1); g.y.push(p.lost); g.index.push(p.index);
    });
    const names = { outsized_loss: box.dataset.outsized, none: box.dataset.usual };
    const colours = { outsized_loss: "#b42318", none: "#667085" };
    const n = losses.points.length;
    const line = (y, name, dash, colour) => ({ x: [1, n], y: [y, y], mode: "lines", name, line: { dash, color: colour }, hoverinfo: "name+y" });
    const traces = Object.entries(groups).map(([key, g]) => ({ x: g.x, y: g.y, customdata: g.index, mode: "markers", type: "scatter",
      name: names[key], marker: { color: colours[key], size: 8 } }));
    const markets = Object.keys(losses.by_underlying);
    if (markets.length === 1 && losses.mean !== null) {  // one market: its mean, band and threshold
      traces.push(line(losses.mean, box.dataset.mean, "solid", "#0f766e"));
      traces.push({ x: [1, n, n, 1], y: [losses.mean - losses.std, losses.mean - losses.std, losses.mean + losses.std, losses.mean + losses.std],
        fill: "toself", mode: "none", fillcolor: "rgba(15,118,110,0.12)", name: box.dataset.band, hoverinfo: "skip" });
      traces.push(line(limit(markets[0]), box.dataset.threshold, "dash", "#b42318"));
    }
    Plotly.react(box, traces, { ...base, height: 340, hovermode: "closest", legend: { orientation: "h" },
      yaxis: { title: { text: pointsWord } } }, config);
    document.getElementById("loss-summary").textContent = box.dataset.summary
      .replace("__C__", groups.outsized_loss.x.length).replace("__T__", n).replace("__S__", s.toFixed(1));
  }

  function drawReports() {
    data.equity.forEach((curve, i) => {
      const node = document.getElementById(`equity-${i + 1}`);
      Plotly.newPlot(node, [{ x: curve.x, y: curve.y, mode: "lines", type: "scatter", line: { color: "#0f766e", shape: "hv" },
        name: bucketName(curve), hovertemplate: `%{x}<br>%{y:.2f} ${bucketName(curve)}<extra></extra>` }],
        { ...base, height: 300, showlegend: false, xaxis: { title: { text: node.dataset.xTitle } },
          yaxis: { title: { text: node.dataset.yTitle }, zeroline: true } }, config);
    });
    const hours = document.getElementById("hour-chart");
    if (hours) {
      const buckets = {};
      data.by_hour.forEach((row) => row.totals.forEach((b) => {
        const key = bucketName(b);
        (buckets[key] = buckets[key] || { x: [], y: [] });
        buckets[key].x.push(row.key); buckets[key].y.push(b.value);
      }));
      const traces = Object.entries(buckets).map(([name, b]) => ({ x: b.x, y: b.y, type: "bar", name,
        marker: { color: b.y.map((v) => (v >= 0 ? "#067647" : "#b42318")) }, hovertemplate: `%{x}:00 — %{y:.2f} ${name}<extra></extra>` }));
      Plotly.newPlot(hours, traces, { ...base, height: 280, showlegend: traces.length > 1, barmode: "group",
        xaxis: { title: { text: hours.dataset.xTitle }, dtick: hours.clientWidth < 500 ? 3 : 1, range: [-0.5, 23.5] },
        yaxis: { title: { text: traces.length === 1 ? traces[0].name : "" } } }, config);
    }
    const r = document.getElementById("r-chart");
    if (r) {
      const labels = JSON.parse(r.dataset.labels);
      Plotly.newPlot(r, [{ x: labels, y: data.r.bins.map((b) => b.count), type: "bar",
        marker: { color: data.r.bins.map((b) => (b.high !== null && b.high <= 0 ? "#b42318" : "#067647")) } }],
        { ...base, height: 260, xaxis: { type: "category", title: { text: r.dataset.xTitle } }, yaxis: { title: { text: r.dataset.yTitle } } }, config);
    }
  }

  if (window.Plotly) {
    drawDonut();
    drawLosses();
    drawReports();
    box.on("plotly_click", (event) => {  // open the trade in the unfiltered list, on its page
      const index = event.points[0].customdata;
      if (index === undefined) return;
      const url = new URL(box.dataset.tradeUrl, window.location.href);
      const page = Math.floor(index / data.per_page) + 1;
      if (page > 1) url.searchParams.set("page", page); else url.searchParams.delete("page");
      url.searchParams.set("highlight", index);
      url.hash = `trade-${index}`;
      window.location.assign(url);
    });
  }

  // Filters: a choice applies at once; empty fields stay out of the address.
  const filters = document.getElementById("trade-filters");
  filters.addEventListener("change", (event) => { if (event.target.tagName === "SELECT") filters.requestSubmit(); });
  filters.addEventListener("submit", () => {
    [...filters.elements].forEach((field) => { if (field.name && !field.value) field.disabled = true; });
  });
  const marked = document.querySelector("[data-testid=journal-trades] tr.highlight");
  if (marked) marked.scrollIntoView({ block: "center" });

  // Detector settings: saved, then the figures they change are redrawn from the page as the
  // server now renders it; the page is not reloaded. Each setting is kept in the address.
  const status = document.getElementById("settings-status");
  let updates = 0;
  async function refresh() {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    document.querySelectorAll("[data-refresh]").forEach((node) => {
      const fresh = doc.querySelector(`[data-refresh="${node.dataset.refresh}"]`);
      if (fresh) node.innerHTML = fresh.innerHTML;
    });
    data = JSON.parse(document.getElementById("journal-data").textContent);
    if (window.Plotly) { drawDonut(); drawLosses(); }
  }
  async function save(field) {
    const url = new URL(window.location.href);
    url.searchParams.set(field.name, field.value);
    url.searchParams.delete("notice");
    window.history.replaceState(null, "", url);
    status.textContent = settings.dataset.updating;
    const body = Object.fromEntries([...new FormData(settings)].map(([k, v]) => [k, Number(v)]));
    const response = await window.tradeloopFetch("/api/journal/settings", { method: "PUT",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      status.textContent = problem.message || response.statusText;
      return;
    }
    await refresh();
    status.textContent = "";
    document.body.dataset.journalUpdates = String(++updates);
  }
  settings.addEventListener("input", (event) => {
    const output = settings.querySelector(`output[for="${event.target.id}"]`);
    if (output) output.textContent = event.target.value;
    if (event.target.name === "sigma_loss" && window.Plotly) drawLosses();
  });
  settings.addEventListener("change", (event) => { if (event.target.name) save(event.target); });
  // A bookmarked address carries its settings: apply the ones that differ from the saved ones.
  const wanted = new URLSearchParams(window.location.search);
  [...settings.elements].forEach((field) => {
    const value = wanted.get(field.name);
    if (field.type === "range" && value !== null && Number(value) !== Number(field.value)) {
      field.value = value;
      settings.querySelector(`output[for="${field.id}"]`).textContent = field.value;
      if (window.Plotly && field.name === "sigma_loss") drawLosses();
      save(field);
    }
  });
})();
