"""The shared kernel: the domain model, ports, errors, clock, working calendar, policy, who may do
what (access) and staff accounts. It imports none of the capability packages."""
