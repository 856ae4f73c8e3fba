// Package metrics owns the metric definitions of codepace: pure functions
// from the collectors' records to derived figures (ready_at, review actions,
// times to first review and to merge, cycle time, cohorts, the daily review
// backlog, newcomer milestones and build spikes). It does no I/O.
//
// Each function implements one rule of the "Metric definitions (normative)"
// section of the specification and says which in its doc comment. All times
// are UTC; durations are whole seconds, truncated. A duration that would be
// negative (clock skew, hostile data) is reported as null (nil) rather than
// negative. A zero time.Time stands for null.
package metrics
