package metrics

// SpikeConfig holds the parameters of docs/definitions.md §15 "Build spike"
// (config metrics.spike).
type SpikeConfig struct {
	Ratio      float64 // a spike lasts more than Ratio × the median
	FloorS     int64   // and more than the median + FloorS seconds
	WindowDays int     // the baseline: successful builds of the preceding WindowDays days
	MinBuilds  int     // no spike without at least MinBuilds baseline builds (at least 1)
}

// Spike is what docs/definitions.md §15 "Build spike" says about one build.
type Spike struct {
	// IsSpike is whether the build is a spike.
	IsSpike bool
	// MedianS is the build's baseline: the exact median duration, in
	// seconds, of the same job's successful builds of the preceding window
	// (see SpikeWindow), rounded to the nearest second (a half second
	// up). It is nil when the build has no baseline: it is unfinished, or
	// fewer than MinBuilds (and at least one) such builds finished in its
	// window.
	MedianS *int64
	// Median is the exact median the rule compares with (the mean of the
	// two middle values for an even count); 0 when MedianS is nil.
	Median float64
}
