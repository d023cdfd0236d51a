// Comparison page: the runs' equity curves overlaid, one legend entry per run.
(() => {
  const box = document.getElementById("compare-chart");
  if (!box || !window.Plotly) return;
  const curves = JSON.parse(document.getElementById("compare-data").textContent);
  const names = JSON.parse(document.getElementById("compare-names").textContent);
  const dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
  const colors = ["#0f766e", "#2563eb", "#d97706", "#7c3aed", "#db2777", "#4d7c0f", "#b42318", "#0891b2"];
  const wall = (minutes) => minutes.map((m) => new Date(m * 60000).toISOString().slice(0, 16).replace("T", " "));
  Plotly.newPlot(box, curves.map((c, i) => ({
    x: wall(c.time), y: c.equity, type: "scatter", mode: "lines", name: names[i], line: { color: colors[i % colors.length] },
    hovertemplate: `${names[i]}<br>%{x|%Y-%m-%d %H:%M}<br>%{y:,.2f} ${box.dataset.currency}<extra></extra>`,
  })), {
    margin: { t: 10, r: 10, b: 50, l: 70 }, separators: ". ", height: 420, hovermode: "closest", showlegend: true,
    legend: { orientation: "h", y: 1.02, yanchor: "bottom", x: 0 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: dark ? "#e6e9ee" : "#1c2330" },
    xaxis: { type: "date", tickformatstops: [{ dtickrange: [null, 86400000], value: "%m-%d %H:%M" },
      { dtickrange: [86400000, null], value: "%Y-%m-%d" }], hoverformat: "%Y-%m-%d %H:%M", title: { text: box.dataset.time } },
    yaxis: { title: { text: box.dataset.equity }, tickformat: ",.0f" },
  }, { responsive: true, displaylogo: false });
})();
