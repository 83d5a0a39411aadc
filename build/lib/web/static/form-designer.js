// The form-js editor for one form of the draft: opens the form's JSON, and on "Use this form"
// writes the edited JSON back into its text field (saved with the draft by "Save and check").
(function () {
  const dialog = document.getElementById("form-designer");
  if (!dialog || !window.FormEditor) return;
  let editor = null, target = null;

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.design-form");
    if (!button) return;
    target = document.querySelector(`textarea.form-json[data-path="${button.dataset.path}"]`);
    let schema;
    try { schema = JSON.parse(target.value); } catch (error) {
      alert("This form is not valid JSON yet: " + error.message); return;
    }
    document.getElementById("form-designer-title").textContent = button.dataset.path;
    const canvas = document.getElementById("form-designer-canvas");
    canvas.innerHTML = "";
    editor = new window.FormEditor.FormEditor({ container: canvas });
    dialog.showModal();
    await editor.importSchema(schema);
    dialog.dataset.ready = "true";
  });

  const close = () => { dialog.close(); dialog.dataset.ready = ""; if (editor) editor.destroy(); editor = null; };
  document.getElementById("form-designer-cancel").addEventListener("click", close);
  document.getElementById("form-designer-apply").addEventListener("click", () => {
    target.value = JSON.stringify(editor.saveSchema(), null, 2);
    close();
  });
})();
