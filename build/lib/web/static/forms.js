// form-js conditions the server understands ("=not(x)", "=x != \"v\"", "=x = \"v\"", "=x"):
// hide fields live while the user fills the form. The server applies the same rules.
(function () {
  const form = document.querySelector("form.task-form");
  if (!form) return;
  const value = (name) => {
    const inputs = form.querySelectorAll(`[name="${name}"]`);
    for (const input of inputs) {
      if (input.type === "checkbox") return input.checked;
      if (input.type === "radio") { if (input.checked) return input.value; continue; }
      return input.value;
    }
    return null;
  };
  const rule = (text) => {
    let m;
    if ((m = text.match(/^=\s*not\s*\(\s*(\w+)\s*\)\s*$/))) return () => !value(m[1]);
    if ((m = text.match(/^=\s*(\w+)\s*(!=|=)\s*"([^"]*)"\s*$/))) return () => (value(m[1]) === m[3]) === (m[2] === "=");
    if ((m = text.match(/^=\s*(\w+)\s*$/))) return () => Boolean(value(m[1]));
    return () => false;
  };
  const fields = [...form.querySelectorAll("[data-hide]")].map((el) => [el, rule(el.dataset.hide)]);
  const update = () => fields.forEach(([el, hidden]) => { el.hidden = hidden(); });
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
