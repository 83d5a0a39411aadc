// The draft editor: bpmn-js Modeler with the properties panel (timers, forms, lanes), forms as
// form-js JSON text; "Save and check" stores the draft and shows what the server's validation found.
(async function () {
  const box = document.getElementById("modeler");
  if (!box || !window.BpmnJS || !window.BpmnJSPropertiesPanel) return;
  const panel = window.BpmnJSPropertiesPanel;
  const camunda = await (await fetch(box.dataset.moddleUrl)).json();
  const modeler = new window.BpmnJS({
    container: "#canvas",
    propertiesPanel: { parent: "#properties" },
    additionalModules: [panel.BpmnPropertiesPanelModule, panel.BpmnPropertiesProviderModule,
                        panel.CamundaPlatformPropertiesProviderModule],
    moddleExtensions: { camunda },
  });
  window.complaintsModeler = modeler;  // for tests and the curious
  const state = document.getElementById("save-state");
  try {
    const xml = await (await fetch(box.dataset.xmlUrl, { credentials: "same-origin" })).text();
    await modeler.importXML(xml);
    modeler.get("canvas").zoom("fit-viewport");
  } catch (error) {
    state.textContent = "The diagram could not be opened in the modeler: " + error.message;
  }
  box.dataset.ready = "true";

  const forms = () => Object.fromEntries(
    [...document.querySelectorAll("textarea.form-json")].map((t) => [t.dataset.path, t.value]));

  document.getElementById("add-form").addEventListener("click", () => {
    const input = document.getElementById("new-form-name");
    const path = input.value.trim();
    if (!path) return;
    const label = document.createElement("label");
    label.textContent = path;
    const area = document.createElement("textarea");
    area.className = "form-json"; area.dataset.path = path; area.rows = 8;
    area.value = JSON.stringify({ type: "default", components: [] }, null, 2);
    label.appendChild(area);
    input.closest("label").before(label);
    input.value = "";
  });

  const show = (problems) => {
    const section = document.getElementById("problems");
    section.innerHTML = "";
    if (!problems.length) {
      const ok = document.createElement("p"); ok.className = "flash success"; ok.textContent = section.dataset.ok;
      section.appendChild(ok); return;
    }
    const list = document.createElement("ul"); list.className = "problems";
    problems.forEach((p) => {
      const item = document.createElement("li");
      item.className = p.startsWith("Warning: ") ? "warning" : "problem";
      item.textContent = p;  // text, never HTML: messages may quote the uploaded file
      list.appendChild(item);
    });
    section.appendChild(list);
  };

  document.getElementById("save").addEventListener("click", async () => {
    state.textContent = "…";
    const { xml } = await modeler.saveXML({ format: true });
    const response = await fetch(box.dataset.saveUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": document.getElementById("csrf").value },
      body: JSON.stringify({ xml, forms: forms(), comment: document.getElementById("comment").value }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) { state.textContent = body.message || ("Error " + response.status); return; }
    show(body.problems);
    document.getElementById("deploy").disabled = !body.deployable;
    state.textContent = new Date().toLocaleTimeString() + " ✓";
    state.dataset.saved = String(Date.now());
  });
})();
