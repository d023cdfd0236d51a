// Bot pages: the new-bot form's parameters from the strategy schema, the bot's equity chart, and
// live updates: on an event of the page's bots, the parts marked data-live are fetched again.
(() => {
  const form = document.getElementById("bot-form");
  if (form && window.tradeloopBacktest) {
    const strategies = JSON.parse(document.getElementById("strategies-data").textContent);
    const select = document.getElementById("bot-strategy");
    const box = document.getElementById("params");
    let values = JSON.parse(form.dataset.params || "{}");  // a refused form's own values, once
    const show = () => {
      const strategy = strategies.find((s) => s.key === select.value);
      if (!strategy) return;
      window.tradeloopBacktest.renderParams(box, strategy, values, form.dataset.lang);
      values = null;
    };
    select.addEventListener("change", show);
    show();
    // the form posts param:<name> fields: checkboxes need a value the server reads as true
    form.addEventListener("submit", () => {
      box.querySelectorAll("input[type=checkbox]").forEach((input) => { input.value = "true"; });
    });
  }

  function drawEquity() {
    const box = document.getElementById("equity-chart");
    const data = document.getElementById("equity-data");
    if (!box || !data || !window.Plotly) return;
    const equity = JSON.parse(data.textContent);
    if (!equity.x.length) { box.hidden = true; return; }
    box.hidden = false;
    const y = [equity.start, ...equity.y];
    const x = [equity.start_time || equity.x[0], ...equity.x];  // from the first entry
    window.Plotly.react(box, [{ x, y, type: "scatter", mode: "lines", line: { shape: "hv" }, name: box.dataset.label }], {
      margin: { t: 10, r: 10, b: 40, l: 60 }, height: 260, xaxis: { tickformat: "%Y-%m-%d" },
    }, { displaylogo: false, responsive: true });
  }
  window.addEventListener("load", drawEquity);

  const live = document.querySelectorAll("[data-live]");
  if (!live.length) return;
  const pageBot = live[0].dataset.botId;
  let timer = null;
  async function refresh() {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    live.forEach((part) => {
      const replacement = fresh.getElementById(part.id);
      if (replacement) part.replaceChildren(...replacement.childNodes);
    });
    drawEquity();
  }
  document.addEventListener("tradeloop:event", (event) => {
    if (pageBot && String(event.detail.bot_id) !== pageBot) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);  // a burst of events: one fetch
  });
})();
