// Step-through of a case on its diagram: the element of the selected event is marked "step-current",
// the tasks that waited after it "active". Prev/next buttons, arrow keys or a click on the timeline move.
(function () {
  const box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) return;
  const steps = JSON.parse(box.dataset.steps || "[]");
  const items = Array.from(document.querySelectorAll("#steps li"));
  const label = document.getElementById("step-label");
  const viewer = new window.BpmnJS({ container: box });
  let current = 0, marked = [];

  function show(index) {
    if (!steps.length) return;
    current = Math.max(0, Math.min(index, steps.length - 1));
    const step = steps[current], canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
    marked.forEach(([id, cls]) => canvas.removeMarker(id, cls));
    marked = [];
    const mark = (id, cls) => { if (registry.get(id)) { canvas.addMarker(id, cls); marked.push([id, cls]); } };
    step.waiting.forEach((id) => mark(id, "active"));
    step.elements.forEach((id) => mark(id, "step-current"));
    items.forEach((li, i) => li.toggleAttribute("aria-current", i === current));
    items[current].scrollIntoView({ block: "nearest" });
    label.textContent = "#" + step.seq + " · " + step.at + " · " + step.actor;
    box.dataset.step = String(step.seq);
    box.dataset.current = step.elements.join(" ");
    box.dataset.waiting = step.waiting.join(" ");
  }

  document.getElementById("step-prev").addEventListener("click", () => show(current - 1));
  document.getElementById("step-next").addEventListener("click", () => show(current + 1));
  items.forEach((li, i) => li.addEventListener("click", () => show(i)));
  document.addEventListener("keydown", (e) => {
    if (e.key === "ArrowRight") show(current + 1);
    if (e.key === "ArrowLeft") show(current - 1);
  });
  fetch(box.dataset.url, { credentials: "same-origin" })
    .then((r) => { if (!r.ok) throw new Error(r.status); return r.text(); })
    .then((xml) => viewer.importXML(xml))
    .then(() => { viewer.get("canvas").zoom("fit-viewport"); show(0); box.dataset.ready = "true"; })
    .catch((error) => { box.textContent = "The diagram could not be shown: " + error; });
})();
