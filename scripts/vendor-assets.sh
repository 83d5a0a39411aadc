#!/usr/bin/env bash
# Install the front-end packages from the npm registry and copy the files the pages use
# into web/static/vendor (no CDN at run time). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../web/assets"
npm ci --no-audit --no-fund --loglevel=error
out=../static/vendor
mkdir -p "$out/bpmn-js"
cp node_modules/@picocss/pico/css/pico.min.css "$out/pico.min.css"
cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js "$out/bpmn-js/"
cp node_modules/bpmn-js/dist/assets/bpmn-js.css node_modules/bpmn-js/dist/assets/diagram-js.css "$out/bpmn-js/"
cp -r node_modules/bpmn-js/dist/assets/bpmn-font "$out/bpmn-js/"
cp node_modules/bpmn-js/dist/bpmn-modeler.production.min.js "$out/bpmn-js/"
cp node_modules/bpmn-js-properties-panel/dist/bpmn-js-properties-panel.umd.js "$out/bpmn-js/"
cp node_modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css "$out/bpmn-js/"
cp node_modules/camunda-bpmn-moddle/resources/camunda.json "$out/bpmn-js/camunda-moddle.json"
cp node_modules/chart.js/dist/chart.umd.js "$out/chart.umd.js"
mkdir -p "$out/form-js"
cp node_modules/@bpmn-io/form-js/dist/form-editor.umd.js "$out/form-js/"
for css in form-js.css form-js-editor.css properties-panel.css draggle.css; do
  cp "node_modules/@bpmn-io/form-js/dist/assets/$css" "$out/form-js/"
done
echo "vendored front-end assets into web/static/vendor"
