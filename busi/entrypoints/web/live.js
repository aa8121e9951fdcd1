// The live page: polls GET /api/busi/live once a second and drives the demo endpoints.
"use strict";

const API = "/api/busi";
const POLL_MS = 1000;
const CHART_POINTS = 180; // three minutes of one-second points
const LINES = { bought: "#2a8a2a", sold_out: "#d08a00", error: "#c0392b" };
const $ = (id) => document.getElementById(id);
const product = () => $("product").value;
const units = () => $("units").value;

const chart = new Chart($("chart"), {
  type: "line",
  data: {
    labels: [],
    datasets: Object.entries(LINES).map(([name, color]) => ({
      label: name.replace("_", " "), data: [], borderColor: color, backgroundColor: color, pointRadius: 0,
    })),
  },
  options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, title: { display: true, text: "per second" } } } },
});
let previous = null; // the last poll's purchase totals, to draw their rates

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function showProducts(products) {
  const body = $("products").tBodies[0];
  body.replaceChildren();
  for (const p of products) {
    const row = body.insertRow();
    row.id = `product-${p.id}`;
    if (String(p.id) === product()) row.className = "selected";
    const sum = (byStatus) => Object.values(byStatus).reduce((a, b) => a + b, 0);
    cell(row, p.id);
    cell(row, p.stock ?? "–", "stock");
    cell(row, p.in_flight, "in-flight");
    cell(row, sum(p.orders), "orders");
    cell(row, sum(p.units), "units");
    for (const status of ["created", "paying", "paid", "cancelled"]) cell(row, p.units[status] ?? 0, status);
  }
}

function showTransactions(transactions, error) {
  $("dtm-error").hidden = !error;
  $("dtm-error").textContent = error ? `DTM did not answer: ${error}` : "";
  const body = $("transactions").tBodies[0];
  body.replaceChildren();
  for (const t of transactions) {
    const row = body.insertRow();
    row.dataset.gid = t.gid;
    const link = document.createElement("a");
    link.href = t.dashboard;
    link.target = "_blank";
    link.textContent = t.gid;
    cell(row, "", "gid").append(link);
    cell(row, t.crash_drill ? `${t.kind}, crash drill` : t.kind, t.crash_drill ? "crash-drill" : "");
    cell(row, t.type);
    cell(row, t.status, `status status-${t.status}`);
    cell(row, `${t.age_s.toFixed(1)} s`);
  }
}

function addRates(state) {
  if (previous) {
    const seconds = Math.max(state.time - previous.time, 0.001);
    chart.data.labels.push(new Date(state.time * 1000).toLocaleTimeString());
    Object.keys(LINES).forEach((name, i) => {
      chart.data.datasets[i].data.push(Math.max(state.purchases[name] - previous.purchases[name], 0) / seconds);
    });
    if (chart.data.labels.length > CHART_POINTS) {
      chart.data.labels.shift();
      chart.data.datasets.forEach((d) => d.data.shift());
    }
    chart.update();
  }
  previous = state;
}

async function poll() {
  const start = performance.now();
  try {
    const response = await fetch(`${API}/live?product_id=${product()}`);
    const state = await response.json();
    if (!response.ok) throw new Error(state.error);
    showProducts(state.products);
    showTransactions(state.transactions, state.dtm_error);
    addRates(state);
    $("dashboard").href = state.dtm_dashboard;
    $("status").textContent = `updated ${new Date(state.time * 1000).toLocaleTimeString()}`;
  } catch (err) {
    $("status").textContent = `the service did not answer: ${err.message}`;
  }
  setTimeout(poll, Math.max(0, POLL_MS - (performance.now() - start)));
}

function log(line) {
  $("log").textContent += `${new Date().toLocaleTimeString()}  ${line}\n`;
  $("log").scrollTop = $("log").scrollHeight;
}

async function post(path, params) {
  const response = await fetch(`${API}/${path}?${new URLSearchParams(params)}`, { method: "POST" });
  return `${response.status} ${await response.text()}`;
}

// Reads a streamed answer line by line, as the service writes them.
async function stream(path, params, onLine) {
  const response = await fetch(`${API}/${path}?${new URLSearchParams(params)}`);
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const lines = (rest + value).split("\n");
    rest = lines.pop();
    lines.filter(Boolean).forEach(onLine);
  }
}

function onClick(id, action) {
  $(id).addEventListener("click", async () => {
    $(id).disabled = true;
    try {
      await action();
    } catch (err) {
      log(`${id}: ${err.message}`);
    } finally {
      $(id).disabled = false;
    }
  });
}

onClick("buy", async () => log(`buy: ${await post("flashSales", { product_id: product() })}`));
onClick("crash", async () => {
  try {
    log(`buy and crash: answered ${await post("flashSales-crash", { product_id: product() })}`);
  } catch {
    log("buy and crash: the worker died after deducting, as asked; DTM's back-query creates the order in a few seconds");
  }
});
onClick("reset", async () => log(`reset: ${await post("reset", { product_id: product(), stock: units() })}`));
onClick("batch", () => stream("flashSales-batch", { product_id: product(), stock: units() }, (line) => log(`batch: ${line}`)));
onClick("compare", async () => {
  $("compare-section").hidden = false;
  const table = $("comparison");
  table.tHead.replaceChildren();
  table.tBodies[0].replaceChildren();
  log("compare: the same crowd against each strategy, then again with crashes …");
  await stream("flashSales-compare", {}, (line) => {
    const item = JSON.parse(line);
    if (item.headers) {
      const row = table.tHead.insertRow();
      item.headers.concat("verdict").forEach((header) => row.append(Object.assign(document.createElement("th"), { textContent: header })));
    }
    if (item.row) {
      const row = table.tBodies[0].insertRow();
      item.row.concat(item.verdict).forEach((value) => cell(row, value));
    }
    if (item.error) log(`compare: ${item.error}`);
  });
  log("compare: done");
});

poll();
