// Read-only diagram of a case's process version: waiting tasks and done tasks highlighted.
(function () {
  const box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) return;
  const viewer = new window.BpmnJS({ container: box });
  const mark = (ids, cls) => {
    const canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
    ids.forEach((id) => { if (registry.get(id)) canvas.addMarker(id, cls); });
  };
  fetch(box.dataset.url, { credentials: "same-origin" })
    .then((r) => { if (!r.ok) throw new Error(r.status); return r.text(); })
    .then((xml) => viewer.importXML(xml))
    .then(() => {
      viewer.get("canvas").zoom("fit-viewport");
      mark(JSON.parse(box.dataset.done || "[]"), "done");
      mark(JSON.parse(box.dataset.active || "[]"), "active");
      box.dataset.ready = "true";
    })
    .catch((error) => { box.textContent = "The diagram could not be shown: " + error; });
})();
