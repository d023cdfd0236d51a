// Result page: equity/drawdown and price charts with Plotly, and the re-run form.
(() => {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
  const layoutBase = { margin: { t: 10, r: 10, b: 40, l: 60 }, showlegend: false, hovermode: "x unified",
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: dark ? "#e6e9ee" : "#1c2330" } };
  const config = { responsive: true, displaylogo: false };

  const equityBox = document.getElementById("equity-chart");
  if (data.curve && window.Plotly) {
    const c = data.curve;
    Plotly.newPlot(equityBox, [
      { x: c.time, y: c.equity, type: "scatter", mode: "lines", name: equityBox.dataset.equity, line: { color: "#0f766e" } },
      { x: c.time, y: c.drawdown_pct, type: "scatter", mode: "lines", fill: "tozeroy", name: equityBox.dataset.drawdown,
        yaxis: "y2", line: { color: "#b42318" } },
    ], { ...layoutBase, height: 380, yaxis: { domain: [0.35, 1] }, yaxis2: { domain: [0, 0.28], ticksuffix: "%" } }, config);

    const priceBox = document.getElementById("price-chart");
    const side = (s) => data.trades.filter((t) => t.side === s);
    const marker = (trades, key, symbol, color, name) => ({
      x: trades.map((t) => t[key + "_time"]), y: trades.map((t) => t[key + "_price"]), type: "scatter", mode: "markers",
      name, marker: { symbol, size: data.trades.length > 300 ? 5 : 9, color } });
    Plotly.newPlot(priceBox, [
      { x: c.time, y: c.close, type: "scatter", mode: "lines", name: "close", line: { color: dark ? "#98a2b3" : "#667085", width: 1 } },
      marker(side("long"), "entry", "triangle-up", "#067647", priceBox.dataset.long),
      marker(side("short"), "entry", "triangle-down", "#b42318", priceBox.dataset.short),
      marker(data.trades, "exit", "x", "#b54708", priceBox.dataset.exit),
    ], { ...layoutBase, height: 360 }, config);
  }

  const rerun = document.getElementById("rerun-form");
  if (rerun) {
    rerun.addEventListener("submit", async (event) => {
      event.preventDefault();
      const params = {};
      rerun.querySelectorAll("input").forEach((input) => {
        params[input.name] = input.dataset.kind === "bool" ? input.value.toLowerCase() === "true" : Number(input.value);
      });
      rerun.querySelector("#status").textContent = rerun.dataset.running;
      const response = await window.tradeloopFetch(`/api/backtests/${rerun.dataset.id}/rerun`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ params }) });
      const body = await response.json();
      if (response.status === 201) { window.location.href = "/backtests/" + body.id; return; }
      rerun.querySelector("#status").textContent = rerun.dataset.failed;
      const errors = rerun.querySelector("#errors");
      errors.hidden = false;
      errors.replaceChildren(Object.assign(document.createElement("li"), { textContent: body.message }));
    });
  }
})();
