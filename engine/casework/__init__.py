"""Cases and the work list, for staff and customers: intake, tasks, timers, deadlines and SLA states, status."""
