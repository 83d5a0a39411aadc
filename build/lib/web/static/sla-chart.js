// The SLA report's bar chart: per channel, the share of decided cases within each stage's SLA.
(function () {
  const canvas = document.getElementById("sla-chart");
  if (!canvas || !window.Chart) return;
  const data = JSON.parse(canvas.dataset.chart), names = JSON.parse(canvas.dataset.names);
  const channels = JSON.parse(canvas.dataset.channels), colours = ["#2563eb", "#d97706", "#16a34a"];
  data.labels = data.labels.map((c) => channels[c] || c);
  data.datasets.forEach((d, i) => { d.label = names[d.label] || d.label; d.backgroundColor = colours[i % 3]; });
  new window.Chart(canvas, {
    type: "bar", data,
    options: { animation: false, scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } } },
  });
  canvas.dataset.ready = "true";
})();
