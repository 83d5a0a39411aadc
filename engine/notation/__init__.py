"""The language processes are written in: BPMN parsing and checks, the script sandbox, task forms."""
