-- What each compute was computed from: a fingerprint of the definitions'
-- settings and of the codepace binary. `codepace run` skips compute when
-- nothing was collected since the last one, it ran the same UTC day, and
-- the fingerprint is unchanged.
CREATE TABLE IF NOT EXISTS compute_inputs (
    generation UInt64,
    fingerprint String
) ENGINE = MergeTree()
ORDER BY generation;
