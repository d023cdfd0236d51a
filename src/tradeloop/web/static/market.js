// Market data: the upload form (upload progress, then the job's progress by server-sent events,
// polling when they are not available), and a dataset's candlestick preview with Plotly.
(() => {
  const form = document.getElementById("market-form");
  if (form) {
    const progress = document.getElementById("market-progress");
    const statusLine = document.getElementById("market-status");
    const errors = document.getElementById("market-errors");
    const button = form.querySelector("button[type=submit]");
    const say = (template, fraction) => {
      const percent = Math.round(100 * fraction);
      progress.value = percent;
      statusLine.textContent = template.replace("__P__", percent);
    };
    const fail = (message) => {
      progress.hidden = true;
      statusLine.textContent = form.dataset.failed;
      errors.replaceChildren(Object.assign(document.createElement("li"), { textContent: message }));
      errors.hidden = false;
      button.disabled = false;
    };
    const finish = (job) => {
      progress.value = 100;
      statusLine.textContent = form.dataset.done;
      form.dataset.state = "done";
      window.location.assign(`/market?stored=${job.result.id}&notice=datasets.stored`);
    };
    const seen = (job) => {
      if (job.state === "done") { finish(job); return true; }
      if (job.state === "queued" || job.state === "running") { say(form.dataset.checking, job.progress); return false; }
      fail(job.error || job.state);
      return true;
    };
    const poll = (url) => {
      fetch(url, { credentials: "same-origin" })
        .then((response) => response.json())
        .then((job) => { if (!seen(job)) setTimeout(() => poll(url), 500); })
        .catch(() => fail(form.dataset.network));
    };
    const follow = (url) => {
      if (!window.EventSource) { poll(url); return; }
      const events = new EventSource(url + "/events");
      let ended = false;
      events.addEventListener("job", (event) => {
        if (seen(JSON.parse(event.data))) { ended = true; events.close(); }
      });
      events.onerror = () => {  // the stream ended or broke: ask once more, then poll
        events.close();
        if (!ended) poll(url);
      };
    };

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      errors.hidden = true;
      button.disabled = true;
      form.dataset.state = "uploading";
      progress.hidden = false;
      say(form.dataset.uploading, 0);
      const request = new XMLHttpRequest();
      request.open("POST", "/market?background=true");
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) say(form.dataset.uploading, e.loaded / e.total);
      });
      request.upload.addEventListener("load", () => say(form.dataset.checking, 0));
      request.addEventListener("load", () => {
        let body = {};
        try { body = JSON.parse(request.responseText); } catch { body = { message: request.statusText }; }
        if (request.status === 202) {
          form.dataset.state = "checking";
          if (!seen(body)) follow(request.getResponseHeader("Location") || `/api/jobs/${body.id}`);
        } else fail(body.message || request.statusText);
      });
      request.addEventListener("error", () => fail(form.dataset.network));
      request.send(new FormData(form));
    });
  }

  const box = document.getElementById("candles");
  if (box && window.Plotly) {
    const data = JSON.parse(document.getElementById("candles-data").textContent);
    const dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
    const text = dark ? "#e6e9ee" : "#1c2330";
    Plotly.newPlot(box, [{
      type: "candlestick", x: data.time, open: data.open, high: data.high, low: data.low, close: data.close,
      increasing: { line: { color: "#067647" } }, decreasing: { line: { color: "#b42318" } }, name: data.interval,
    }], {
      margin: { t: 10, r: 10, b: 40, l: 60 }, height: 420, showlegend: false, dragmode: "pan",
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: text },
      xaxis: { title: { text: box.dataset.times }, rangeslider: { visible: false } },
    }, { responsive: true, displaylogo: false });
    box.dataset.drawn = "true";
  }
})();
